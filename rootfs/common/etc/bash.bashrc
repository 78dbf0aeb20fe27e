# Interactive shells inside a stacklab node: the prompt names the node.
PS1='[\h] \w \$ '
alias ls='ls --color=auto'

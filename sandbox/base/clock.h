/* clock.h — the monotonic clock. */
#ifndef STACKLAB_CLOCK_H
#define STACKLAB_CLOCK_H

#include <stdint.h>

/* Milliseconds on the monotonic clock. */
uint64_t now_ms(void);
double now_sec(void);

#endif

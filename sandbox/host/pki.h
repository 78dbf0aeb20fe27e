/* pki.h — the lab's own certificate authority and the site certificate it
 * signs, made with the openssl command at the first `up` and kept under
 * cache_dir()/ca/ (never added to the host's trust store). */
#ifndef STACKLAB_PKI_H
#define STACKLAB_PKI_H

#include <stddef.h>

#include "error.h"

/* Make sure the CA and a certificate for www.DOMAIN and DOMAIN exist,
 * telling `progress` what it makes (a slow step). Fills ca_pem (the CA
 * certificate) and site_pem (certificate + key, as HAProxy reads them) with
 * their paths. Returns 0, or -errno with what failed in err. */
int pki_ensure(const char *domain, char *ca_pem, size_t ca_size, char *site_pem, size_t site_size,
	       void (*progress)(const char *what), struct sl_error *err);

#endif

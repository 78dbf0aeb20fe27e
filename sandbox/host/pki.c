/* pki.c — the lab CA and site certificate (see pki.h). EC P-256 keys: a few
 * milliseconds each, where RSA-2048 takes a hundred. */
#include "pki.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "paths.h"
#include "util.h"

#define OPENSSL "/usr/bin/openssl"

static int openssl(char *const argv[], const char *what, struct sl_error *err)
{
	int r = run_argv(argv, err);
	if (r < 0)
		return sl_err(err, -r, "%s: openssl: %s", what, strerror(-r));
	return r == 0 ? 0 : sl_err_wrap(err, "%s: ", what);
}

static int make_ca(const char *key, const char *pem, struct sl_error *err)
{
	char *argv[] = { OPENSSL, "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
			 "-nodes", "-keyout", (char *)key, "-out", (char *)pem, "-days", "3650",
			 "-subj", "/O=stacklab/CN=stacklab lab CA",
			 "-addext", "basicConstraints=critical,CA:TRUE",
			 "-addext", "keyUsage=critical,keyCertSign,cRLSign", NULL };
	return openssl(argv, "lab CA", err);
}

static int make_site(const char *dir, const char *domain, const char *ca_key, const char *ca_pem, const char *site_pem,
		     struct sl_error *err)
{
	char key[PATH_MAX], csr[PATH_MAX], crt[PATH_MAX], cn[128], san[300], serial[40];
	snprintf(key, sizeof(key), "%s/%s.key", dir, domain);
	snprintf(csr, sizeof(csr), "%s/%s.csr", dir, domain);
	snprintf(crt, sizeof(crt), "%s/%s.crt", dir, domain);
	snprintf(cn, sizeof(cn), "/O=stacklab/CN=www.%s", domain);
	snprintf(san, sizeof(san), "subjectAltName=DNS:www.%s,DNS:%s", domain, domain);
	unsigned char rnd[8] = { 0 };
	if (getrandom(rnd, sizeof(rnd), 0) < 0)
		return -errno;
	snprintf(serial, sizeof(serial), "0x%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0] & 0x7f, rnd[1], rnd[2],
		 rnd[3], rnd[4], rnd[5], rnd[6], rnd[7]);
	char *req[] = { OPENSSL, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
			"-keyout", key, "-out", csr, "-subj", cn, "-addext", san,
			"-addext", "extendedKeyUsage=serverAuth", NULL };
	char *sign[] = { OPENSSL, "x509", "-req", "-in", csr, "-CA", (char *)ca_pem, "-CAkey", (char *)ca_key,
			 "-set_serial", serial, "-days", "825", "-copy_extensions", "copyall", "-out", crt, NULL };
	int r = openssl(req, "site key", err);
	if (r == 0)
		r = openssl(sign, "site certificate", err);
	if (r < 0)
		return r;
	/* HAProxy wants the certificate and its key in one file. */
	_cleanup_free_ char *c = read_file(crt, NULL);
	_cleanup_free_ char *k = read_file(key, NULL);
	if (!c || !k)
		return sl_err(err, errno, "%s: %s", !c ? crt : key, strerror(errno));
	_cleanup_free_ char *both = xasprintf("%s%s", c, k);
	unlink(csr);
	r = write_file(site_pem, both, 0600);
	return r < 0 ? sl_err(err, -r, "%s: %s", site_pem, strerror(-r)) : 0;
}

int pki_ensure(const char *domain, char *ca_pem, size_t ca_size, char *site_pem, size_t site_size,
	       void (*progress)(const char *what), struct sl_error *err)
{
	char dir[PATH_MAX - 32], ca_key[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s/ca", cache_dir());
	snprintf(ca_key, sizeof(ca_key), "%s/ca.key", dir);
	snprintf(ca_pem, ca_size, "%s/ca.pem", dir);
	snprintf(site_pem, site_size, "%s/%s.pem", dir, domain);
	int r = mkdir_p(dir, 0700);
	if (r < 0)
		return sl_err(err, -r, "%s: %s", dir, strerror(-r));
	if (access(ca_pem, R_OK) < 0 || access(ca_key, R_OK) < 0) {
		progress("making the lab's certificate authority (first up)");
		unlink(site_pem); /* signed by a CA that is gone */
		if ((r = make_ca(ca_key, ca_pem, err)) < 0)
			return r;
	}
	if (access(site_pem, R_OK) < 0) {
		progress("making a certificate for the site");
		if ((r = make_site(dir, domain, ca_key, ca_pem, site_pem, err)) < 0)
			return r;
	}
	return 0;
}

#ifndef CLIBSSH2_SHIM_H
#define CLIBSSH2_SHIM_H
#include <libssh2.h>
#include <libssh2_publickey.h>
#include <libssh2_sftp.h>
// HMAC-SHA1 for hashed known_hosts entries; libssh2 is built on this OpenSSL.
#include <openssl/hmac.h>
#include <openssl/evp.h>
#endif

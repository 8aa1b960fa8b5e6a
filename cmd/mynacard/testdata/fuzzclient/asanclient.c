/* A PC/SC client with a planted bug, for fuzz-client's tests: it reads the
 * JPKI auth certificate (EF 000A) and trusts the card never to answer a
 * READ BINARY with more bytes than asked, so an answer with extra data at
 * the last chunk overflows the heap buffer sized from the DER header.
 * Built with -fsanitize=address, AddressSanitizer reports it. */
#include <stdio.h>
#include <string.h>

#include "pcscclient.h"

int main(void) {
	if (connect_reader() != 0) return 2;
	if (select_jpki(0x0A) != 0) return 1;
	size_t total = der_size();
	if (total == 0) return 1;
	unsigned char *cert = malloc(total);
	size_t off = 0;
	while (off < total) {
		size_t want = total - off > 256 ? 256 : total - off;
		unsigned char rb[] = {0x00, 0xB0, (unsigned char)(off >> 8), (unsigned char)off, (unsigned char)want};
		long n = transmit(rb, sizeof rb);
		if (!ok(n) || n == 2) {
			free(cert);
			return 1;
		}
		memcpy(cert + off, rsp, (size_t)n - 2); /* the planted bug: n - 2 may exceed want */
		off += (size_t)n - 2;
	}
	printf("auth certificate: %zu bytes\n", total);
	free(cert);
	disconnect_reader();
	return 0;
}

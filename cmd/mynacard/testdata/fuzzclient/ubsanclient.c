/* A PC/SC client with a planted bug, for fuzz-client's tests: it reads the
 * JPKI auth CA certificate (EF 000B) in 256-byte chunks and keeps which
 * chunks it has in a 32-bit mask, trusting a certificate never to exceed
 * 32 chunks (8 KB). A DER length claiming more, as a BER length mutation
 * of the first READ BINARY's answer makes it, shifts 1u by 32 or more:
 * undefined behaviour, which UndefinedBehaviorSanitizer reports when built
 * with -fsanitize=undefined. */
#include <stdio.h>
#include <string.h>

#include "pcscclient.h"

int main(void) {
	if (connect_reader() != 0) return 2;
	if (select_jpki(0x0B) != 0) return 1;
	size_t total = der_size();
	if (total == 0) return 1;
	unsigned chunks = (unsigned)((total + 255) / 256);
	unsigned all = (1u << chunks) - 1; /* the planted bug: chunks may be 32 or more */
	unsigned have = 0;
	unsigned char *cert = malloc(total);
	for (unsigned c = 0; c < chunks; c++) {
		size_t off = (size_t)c * 256, want = total - off > 256 ? 256 : total - off;
		unsigned char rb[] = {0x00, 0xB0, (unsigned char)(off >> 8), (unsigned char)off, (unsigned char)want};
		long n = transmit(rb, sizeof rb);
		if (!ok(n) || (size_t)n - 2 != want) {
			free(cert);
			return 1;
		}
		memcpy(cert + off, rsp, want);
		have |= 1u << c;
	}
	free(cert);
	if (have != all) return 1;
	printf("auth CA certificate: %zu bytes\n", total);
	disconnect_reader();
	return 0;
}

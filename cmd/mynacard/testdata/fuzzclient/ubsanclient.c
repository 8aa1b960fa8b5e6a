/* A PC/SC client with a planted bug, for fuzz-client's tests: it reads the
 * JPKI auth CA certificate (EF 000B) in 256-byte chunks and keeps which
 * chunks it has in a 32-bit mask, trusting a certificate never to exceed
 * 32 chunks (8 KB). A DER length claiming more, as a BER length mutation
 * of the first READ BINARY's answer makes it, shifts 1u by 32 or more:
 * undefined behaviour, which UndefinedBehaviorSanitizer reports when built
 * with -fsanitize=undefined. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <winscard.h>

static SCARDHANDLE card;
static const SCARD_IO_REQUEST *pci;
static unsigned char rsp[4096];

/* transmit sends an APDU and returns the answer's length, -1 on failure. */
static long transmit(const unsigned char *apdu, DWORD len) {
	DWORD n = sizeof rsp;
	if (SCardTransmit(card, pci, apdu, len, NULL, rsp, &n) != SCARD_S_SUCCESS) return -1;
	return (long)n;
}

static int ok(long n) { return n >= 2 && rsp[n - 2] == 0x90 && rsp[n - 1] == 0x00; }

int main(void) {
	const char *reader = getenv("MYNACARD_READER");
	SCARDCONTEXT ctx;
	DWORD proto;
	if (!reader || SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS) return 2;
	if (SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto) != SCARD_S_SUCCESS) return 2;
	pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;

	static const unsigned char selAP[] = {0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01};
	static const unsigned char selEF[] = {0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, 0x0B};
	static const unsigned char head[] = {0x00, 0xB0, 0x00, 0x00, 0x04};
	if (!ok(transmit(selAP, sizeof selAP)) || !ok(transmit(selEF, sizeof selEF))) return 1;
	long n = transmit(head, sizeof head);
	if (!ok(n) || n < 6 || rsp[0] != 0x30 || rsp[1] != 0x82) return 1;
	size_t total = 4 + ((size_t)rsp[2] << 8 | rsp[3]);
	unsigned chunks = (unsigned)((total + 255) / 256);
	unsigned all = (1u << chunks) - 1; /* the planted bug: chunks may be 32 or more */
	unsigned have = 0;
	unsigned char *cert = malloc(total);
	for (unsigned c = 0; c < chunks; c++) {
		size_t off = (size_t)c * 256, want = total - off > 256 ? 256 : total - off;
		unsigned char rb[] = {0x00, 0xB0, (unsigned char)(off >> 8), (unsigned char)off, (unsigned char)want};
		n = transmit(rb, sizeof rb);
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
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
	return 0;
}

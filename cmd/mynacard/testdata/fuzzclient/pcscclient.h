/* What the planted-bug C clients share: a connection to the reader named
 * by $MYNACARD_READER through libpcsclite, one APDU at a time, and the
 * SELECT of a JPKI AP file. */
#include <stdlib.h>
#include <winscard.h>

static SCARDCONTEXT ctx;
static SCARDHANDLE card;
static const SCARD_IO_REQUEST *pci;
static unsigned char rsp[4096];

/* connect_reader connects to $MYNACARD_READER; 0 on success. */
static int connect_reader(void) {
	const char *reader = getenv("MYNACARD_READER");
	DWORD proto;
	if (!reader || SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx) != SCARD_S_SUCCESS) return -1;
	if (SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1, &card, &proto) != SCARD_S_SUCCESS) return -1;
	pci = proto == SCARD_PROTOCOL_T0 ? SCARD_PCI_T0 : SCARD_PCI_T1;
	return 0;
}

static void disconnect_reader(void) {
	SCardDisconnect(card, SCARD_LEAVE_CARD);
	SCardReleaseContext(ctx);
}

/* transmit sends an APDU and returns the answer's length in rsp, -1 on
 * failure. */
static long transmit(const unsigned char *apdu, DWORD len) {
	DWORD n = sizeof rsp;
	if (SCardTransmit(card, pci, apdu, len, NULL, rsp, &n) != SCARD_S_SUCCESS) return -1;
	return (long)n;
}

static int ok(long n) { return n >= 2 && rsp[n - 2] == 0x90 && rsp[n - 1] == 0x00; }

/* select_jpki selects the JPKI AP and its file fid; 0 on success. */
static int select_jpki(unsigned char fid) {
	static const unsigned char ap[] = {0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01};
	const unsigned char ef[] = {0x00, 0xA4, 0x02, 0x0C, 0x02, 0x00, fid};
	return ok(transmit(ap, sizeof ap)) && ok(transmit(ef, sizeof ef)) ? 0 : -1;
}

/* der_size reads the 4-byte header (30 82 LL LL) of the selected file's
 * DER certificate and returns the size it claims, header included; 0 if
 * the header is not one. */
static size_t der_size(void) {
	static const unsigned char head[] = {0x00, 0xB0, 0x00, 0x00, 0x04};
	long n = transmit(head, sizeof head);
	if (!ok(n) || n < 6 || rsp[0] != 0x30 || rsp[1] != 0x82) return 0;
	return 4 + ((size_t)rsp[2] << 8 | rsp[3]);
}

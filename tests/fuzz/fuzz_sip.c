/* SPDX-License-Identifier: BSD-3-Clause */
/* libFuzzer harness for lib/sip. Build (not part of meson):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -Ilib \
 *     tests/fuzz/fuzz_sip.c lib/sip/sip.c -o fuzz_sip
 * Beyond "no crash, no read past len" it checks that every result points
 * inside the input and that the parser and classifier agree. */
#include <stdlib.h>

#include "sip/sip.h"

static void inside(const uint8_t *p, size_t len, struct hp_str s)
{
	const uint8_t *b = (const uint8_t *)s.p;

	if (s.len == 0)
		return;
	if (b < p || b + s.len > p + len)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct hp_sip_msg m;
	enum hp_sip_kind kind = hp_sip_classify(data, size);
	int rc = hp_sip_parse(data, size, &m);

	if (rc < HP_R_OK || rc >= HP_R_MAX)
		abort();
	if (rc != HP_R_OK)
		return 0;
	/* a message that parses starts with a start line the classifier accepts */
	if (kind != HP_SIP_KIND_SIP)
		abort();
	if (m.msg_len > size || m.body < data || m.body + m.body_len != data + m.msg_len)
		abort();
	if (m.is_request ? (m.status != 0 || m.method == HP_SIP_NONE)
			 : (m.status < 100 || m.status > 699))
		abort();
	if (m.method >= HP_SIP_METHOD_MAX || m.call_id.len == 0)
		abort();
	if (m.content_length >= 0 && (uint32_t)m.content_length != m.body_len)
		abort();
	inside(data, size, m.method_str);
	inside(data, size, m.reason);
	inside(data, size, m.request_uri);
	inside(data, size, m.call_id);
	inside(data, size, m.cseq_method);
	inside(data, size, m.from_tag);
	inside(data, size, m.to_tag);
	inside(data, size, m.content_type);
	return 0;
}

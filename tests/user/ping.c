/*
 * ping: a client in its own address space. Its start argument says how many
 * times to call pong and which badge its endpoint capability carries
 * (PING_ARG); it checks every answer, then reports to the root task:
 * MR0 answers right, MR1 answers wrong, MR2 the badge pong last saw.
 */
#include <mica/print.h>
#include <mica/sys.h>

#include <stdint.h>

#include "children.h"

int main(uint64_t arg);

int main(uint64_t arg)
{
	const uint64_t badge = arg >> 32;
	const uint32_t calls = (uint32_t)arg;
	uint64_t right = 0, wrong = 0, seen = 0;
	uint64_t mr[MICA_MSG_REGISTERS];

	printf("ping 0x%lx: calling pong %u times\n", (unsigned long)badge, calls);
	for (uint32_t i = 0; i < calls; i++) {
		/* A value unique to this client and call, so crossed replies show. */
		const uint64_t value = (badge << 20) + i;
		struct mica_msg m;

		mr[0] = value;
		mr[1] = mr[2] = mr[3] = 0;
		m = mica_call(CHILD_SLOT_SERVICE, mica_msg_info(LABEL_PING, 0, 1), mr);
		seen = mr[1];
		if (m.err == MICA_OK && mica_msg_length(m.info) == 2 && mr[0] == value + 1 &&
		    mr[1] == badge) {
			right++;
			continue;
		}
		if (wrong++ < 3)
			printf("ping 0x%lx: call %u: error %d, answer 0x%lx with badge 0x%lx\n",
			       (unsigned long)badge, i, m.err, (unsigned long)mr[0],
			       (unsigned long)mr[1]);
	}
	printf("ping 0x%lx: %lu answers right, %lu wrong\n", (unsigned long)badge,
	       (unsigned long)right, (unsigned long)wrong);
	mr[0] = right;
	mr[1] = wrong;
	mr[2] = seen;
	mr[3] = 0;
	child_report_and_stop(mr, 3);
	return 0;
}

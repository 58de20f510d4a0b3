/* msgfill N: one System V message queue holding N one-byte messages, so
 * that the kernel keeps a list of N entries (msg_queue.q_messages, each a
 * msg_msg linked by m_list) for the list benchmark. Prints
 * "BIGLIST-READY N msqid" when done. Static, for the lab's initramfs. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>

struct one {
	long mtype;
	char text[1];
};

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	struct msqid_ds ds;
	struct one m = { 1, { 'x' } };
	int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);

	if (id < 0 || msgctl(id, IPC_STAT, &ds) != 0) {
		perror("msgfill: msgget");
		return 1;
	}
	/* room for n messages: the queue counts bytes and messages against
	 * msg_qbytes; root may raise it past msgmnb */
	ds.msg_qbytes = (unsigned long)n * 2;
	if (msgctl(id, IPC_SET, &ds) != 0) {
		perror("msgfill: IPC_SET msg_qbytes");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		m.mtype = i + 1;
		if (msgsnd(id, &m, sizeof(m.text), IPC_NOWAIT) != 0) {
			fprintf(stderr, "msgfill: msgsnd %ld: ", i);
			perror("");
			return 1;
		}
		if ((i + 1) % 500000 == 0)
			printf("BIGLIST-FILLED %ld\n", i + 1);
	}
	printf("BIGLIST-READY %ld %d\n", n, id);
	fflush(stdout);
	return 0;
}

/*
 * The demo and test workload: a static program whose memory size and state are
 * known, so that a checkpoint can be checked from outside.
 *
 *   workload mem MIB [random|text]   allocate and touch MIB MiB, then tick
 *   workload lock FILE MIB           hold an flock on FILE, then tick
 *   workload tcp PORT MIB            accept one TCP connection on PORT and keep it
 *   workload unix PATH MIB           connect to an AF_UNIX stream socket and keep it
 *   workload unixgram PATH MIB       connect to an AF_UNIX datagram socket and keep it
 *
 * The unix modes wait up to a minute for PATH to accept, so that a listener
 * outside the container can be set up after the container started. *
 * Every mode then ticks once every 100 ms: it increments a counter kept in its
 * own memory and writes it to /tmp/ticks (inside the container), so a restored
 * copy proves it continued from the checkpointed state rather than from zero.
 * It prints "ready" on stdout once its memory is touched.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
	perror(what);
	exit(1);
}

/* Touches every page so the whole size is resident, with content that either
 * defeats compression (random) or compresses well (text). */
static void fill(size_t mib, int random_content) {
	size_t len = mib << 20;
	if (len == 0)
		return;
	unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		die("mmap");
	uint64_t x = 0x9e3779b97f4a7c15ull;
	static const char words[] = "checkpoint restore in userspace ";
	for (size_t i = 0; i < len; i += 8) {
		if (random_content) {
			x ^= x << 13; x ^= x >> 7; x ^= x << 17;
			memcpy(p + i, &x, 8);
		} else {
			memcpy(p + i, words + (i % 32), 8);
		}
	}
}

/* Connects a new AF_UNIX socket of the given type to path, retrying while
 * nobody listens there yet. */
static int connect_unix(const char *path, int type) {
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	strncpy(a.sun_path, path, sizeof a.sun_path - 1);
	struct timespec pause = { 0, 100 * 1000 * 1000 };
	for (int attempt = 0; attempt < 600; attempt++) {
		int s = socket(AF_UNIX, type, 0);
		if (s < 0)
			die("socket");
		if (connect(s, (struct sockaddr *)&a, sizeof a) == 0)
			return s;
		close(s);
		nanosleep(&pause, NULL);
	}
	die("connect");
	return -1;
}

static void tick_forever(void) {
	volatile uint64_t ticks = 0;
	struct timespec delay = { 0, 100 * 1000 * 1000 };
	for (;;) {
		ticks++;
		int fd = open("/tmp/ticks.tmp", O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd >= 0) {
			char buf[32];
			int n = snprintf(buf, sizeof buf, "%llu\n", (unsigned long long)ticks);
			if (write(fd, buf, (size_t)n) != n)
				die("write ticks");
			close(fd);
			rename("/tmp/ticks.tmp", "/tmp/ticks");
		}
		nanosleep(&delay, NULL);
	}
}

static void ready(void) {
	printf("ready\n");
	fflush(stdout);
}

int main(int argc, char **argv) {
	if (argc < 3) {
		fprintf(stderr, "usage: workload mem|lock|tcp|unix|unixgram ARG [MIB]\n");
		return 2;
	}
	const char *mode = argv[1];
	if (strcmp(mode, "mem") == 0) {
		fill(strtoul(argv[2], NULL, 10), argc < 4 || strcmp(argv[3], "text") != 0);
	} else if (strcmp(mode, "lock") == 0) {
		int fd = open(argv[2], O_RDWR | O_CREAT, 0644);
		if (fd < 0 || flock(fd, LOCK_EX) != 0)
			die("flock");
		fill(argc > 3 ? strtoul(argv[3], NULL, 10) : 0, 1);
	} else if (strcmp(mode, "tcp") == 0) {
		int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2])) };
		setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (ls < 0 || bind(ls, (struct sockaddr *)&a, sizeof a) != 0 || listen(ls, 1) != 0)
			die("listen");
		fill(argc > 3 ? strtoul(argv[3], NULL, 10) : 0, 1);
		printf("listening\n");
		fflush(stdout);
		if (accept(ls, NULL, NULL) < 0)
			die("accept");
	} else if (strcmp(mode, "unix") == 0 || strcmp(mode, "unixgram") == 0) {
		int s = connect_unix(argv[2], strcmp(mode, "unix") == 0 ? SOCK_STREAM : SOCK_DGRAM);
		if (s >= 0 && send(s, "hello\n", 6, 0) != 6)
			die("send");
		fill(argc > 3 ? strtoul(argv[3], NULL, 10) : 0, 1);
	} else {
		fprintf(stderr, "unknown mode %s\n", mode);
		return 2;
	}
	ready();
	tick_forever();
}

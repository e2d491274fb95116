/* SPDX-License-Identifier: BSD-3-Clause */
/* Deterministic stand-in for libFuzzer, so the harnesses run in every CI build:
 *   fuzz_<x>_replay [-n MUTATIONS] SEED_FILE_OR_DIR...
 * Each seed is fed unmodified, then (if shorter than 2 KiB) truncated to every
 * shorter length, then MUTATIONS times with 1-4 stacked random edits (bit flip,
 * interesting byte or 16-bit value, random byte, inserted or deleted bytes,
 * duplicated chunk). Every input lives in a heap buffer of exactly its size,
 * so ASan or valgrind flag a read one byte past the end.
 * The PRNG is xorshift64 seeded from the seed's bytes: the same seed file
 * always produces the same inputs. MUTATIONS defaults to HP_FUZZ_MUTATIONS
 * from the environment, else 5000.
 * If an input crashes (signal, sanitizer report), it is written to
 * ./replay-crash-<hash> and printed as hex, so it can be replayed alone. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Present only when linked with a sanitizer runtime. */
extern void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

#define TRUNCATE_BELOW 2048
#define DEFAULT_MUTATIONS 5000
#define MAX_SEED_LEN (1u << 20)
#define MAX_STACKED 4

/* The input under test, for the crash reporters. */
static const uint8_t *cur_data;
static size_t cur_size;
static const char *cur_seed;

static uint64_t n_inputs;

static uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

static size_t rng_below(uint64_t *s, size_t n)
{
	return n ? (size_t)(rng_next(s) % n) : 0;
}

/* FNV-1a: names crash files and seeds the PRNG from the seed's content. */
static uint64_t fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* Async-signal-safe: only write(2) and open(2). */
static void put_str(int fd, const char *s)
{
	ssize_t r = write(fd, s, strlen(s));

	(void)r;
}

static void put_hex(int fd, const uint8_t *p, size_t len)
{
	static const char digits[] = "0123456789abcdef";
	char buf[128];
	size_t n = 0;

	for (size_t i = 0; i < len; i++) {
		buf[n++] = digits[p[i] >> 4];
		buf[n++] = digits[p[i] & 15];
		if (n == sizeof(buf)) {
			ssize_t r = write(fd, buf, n);

			(void)r;
			n = 0;
		}
	}
	if (n) {
		ssize_t r = write(fd, buf, n);

		(void)r;
	}
}

static void report_crash(void)
{
	static volatile sig_atomic_t reported;
	char name[40] = "replay-crash-";
	uint64_t h;
	int fd;

	if (reported || !cur_data)
		return;
	reported = 1;
	h = fnv1a(cur_data, cur_size);
	for (int i = 0; i < 16; i++)
		name[13 + i] = "0123456789abcdef"[(h >> (60 - 4 * i)) & 15];
	name[29] = '\0';
	put_str(2, "\n== replay: crashing input derived from seed ");
	put_str(2, cur_seed ? cur_seed : "?");
	put_str(2, "\n== replay: saved as ");
	put_str(2, name);
	put_str(2, "\n== replay: hex ");
	put_hex(2, cur_data, cur_size < 4096 ? cur_size : 4096);
	put_str(2, cur_size > 4096 ? " (first 4096 bytes)\n" : "\n");
	fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd >= 0) {
		ssize_t r = write(fd, cur_data, cur_size);

		(void)r;
		close(fd);
	}
}

static void on_signal(int sig)
{
	report_crash();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Runs one input from an exactly sized heap copy. */
static void run_one(const uint8_t *p, size_t len)
{
	uint8_t *copy = malloc(len);
	static uint8_t empty;

	if (!copy && len) {
		fprintf(stderr, "replay: out of memory for a %zu-byte input\n", len);
		exit(2);
	}
	if (len)
		memcpy(copy, p, len);
	cur_data = copy ? copy : &empty;
	cur_size = len;
	LLVMFuzzerTestOneInput(cur_data, len);
	cur_data = NULL;
	free(copy);
	n_inputs++;
}

/* Values that sit on the edges of signed/unsigned 8- and 16-bit fields. */
static const uint8_t interesting8[] = { 0x00, 0xff, 0x7f, 0x80, 0x01, 0x40 };
static const uint16_t interesting16[] = { 0x0000, 0xffff, 0x7fff, 0x8000, 0x0100, 0x00ff };

/* Applies one random edit to buf[0..*len) (capacity cap). */
static void mutate_once(uint8_t *buf, size_t *len, size_t cap, uint64_t *s)
{
	size_t n = *len;
	size_t at = rng_below(s, n);

	switch (rng_below(s, 7)) {
	case 0:
		if (n)
			buf[at] ^= (uint8_t)(1u << rng_below(s, 8));
		break;
	case 1:
		if (n)
			buf[at] = interesting8[rng_below(s, sizeof(interesting8))];
		break;
	case 2:
		if (n >= 2) {
			uint16_t v = interesting16[rng_below(s, sizeof(interesting16) / sizeof(interesting16[0]))];

			at = rng_below(s, n - 1);
			buf[at] = (uint8_t)(v >> 8);
			buf[at + 1] = (uint8_t)v;
		}
		break;
	case 3:
		if (n)
			buf[at] = (uint8_t)rng_next(s);
		break;
	case 4: {
		size_t k = 1 + rng_below(s, 8);

		at = rng_below(s, n + 1);
		if (n + k > cap)
			break;
		memmove(buf + at + k, buf + at, n - at);
		for (size_t i = 0; i < k; i++)
			buf[at + i] = rng_below(s, 2) ? interesting8[rng_below(s, sizeof(interesting8))]
						      : (uint8_t)rng_next(s);
		*len = n + k;
		break;
	}
	case 5: {
		size_t k;

		if (!n)
			break;
		k = 1 + rng_below(s, n - at < 16 ? n - at : 16);
		memmove(buf + at, buf + at + k, n - at - k);
		*len = n - k;
		break;
	}
	default: {
		size_t k, to;

		if (!n)
			break;
		k = 1 + rng_below(s, n - at < 256 ? n - at : 256);
		to = rng_below(s, n + 1);
		if (n + k > cap)
			break;
		/* copy the chunk aside first: it may overlap the gap we open */
		uint8_t chunk[256];

		memcpy(chunk, buf + at, k);
		memmove(buf + to + k, buf + to, n - to);
		memcpy(buf + to, chunk, k);
		*len = n + k;
		break;
	}
	}
}

static void replay_seed(const char *path, const uint8_t *seed, size_t len, unsigned long mutations,
			uint8_t *work, size_t cap)
{
	uint64_t s = fnv1a(seed, len) | 1;

	cur_seed = path;
	run_one(seed, len);
	if (len < TRUNCATE_BELOW)
		for (size_t t = 0; t < len; t++)
			run_one(seed, t);
	for (unsigned long i = 0; i < mutations; i++) {
		size_t n = len;
		size_t ops = 1 + rng_below(&s, MAX_STACKED);

		memcpy(work, seed, len);
		for (size_t k = 0; k < ops; k++)
			mutate_once(work, &n, cap, &s);
		run_one(work, n);
	}
}

static int replay_file(const char *path, unsigned long mutations)
{
	FILE *f = fopen(path, "rb");
	uint8_t *seed, *work;
	size_t len, cap;
	long end;

	if (!f) {
		fprintf(stderr, "replay: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) < 0 || (size_t)end > MAX_SEED_LEN ||
	    fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "replay: %s: unreadable or larger than %u bytes\n", path, MAX_SEED_LEN);
		fclose(f);
		return -1;
	}
	len = (size_t)end;
	cap = 2 * len + 64;
	seed = malloc(len ? len : 1);
	work = malloc(cap);
	if (!seed || !work || fread(seed, 1, len, f) != len) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		fclose(f);
		free(seed);
		free(work);
		return -1;
	}
	fclose(f);
	replay_seed(path, seed, len, mutations, work, cap);
	free(seed);
	free(work);
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file of a directory, in name order so runs repeat. */
static int replay_dir(const char *dir, unsigned long mutations)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0;
	int total = 0;

	if (!d) {
		fprintf(stderr, "replay: cannot open directory %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		size_t l = strlen(dir) + strlen(e->d_name) + 2;
		char *p;

		if (e->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof(*names));

			if (!nn)
				break;
			names = nn;
		}
		p = malloc(l);
		if (!p)
			break;
		snprintf(p, l, "%s/%s", dir, e->d_name);
		names[n++] = p;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), cmp_str);
	for (size_t i = 0; i < n; i++) {
		struct stat st;

		if (total >= 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
			int r = replay_file(names[i], mutations);

			total = r < 0 ? -1 : total + r;
		}
		free(names[i]);
	}
	free(names);
	return total;
}

static int parse_count(const char *s, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno == 0 && end != s && *end == '\0' && s[0] != '-' ? 0 : -1;
}

int main(int argc, char **argv)
{
	unsigned long mutations = DEFAULT_MUTATIONS;
	const char *env = getenv("HP_FUZZ_MUTATIONS");
	int seeds = 0;
	int i = 1;

	if (env && parse_count(env, &mutations) != 0) {
		fprintf(stderr, "replay: HP_FUZZ_MUTATIONS=%s is not a count\n", env);
		return 2;
	}
	if (i + 1 < argc && strcmp(argv[i], "-n") == 0) {
		if (parse_count(argv[i + 1], &mutations) != 0) {
			fprintf(stderr, "replay: -n %s is not a count\n", argv[i + 1]);
			return 2;
		}
		i += 2;
	}
	if (i >= argc) {
		fprintf(stderr, "usage: %s [-n MUTATIONS] SEED_FILE_OR_DIR...\n", argv[0]);
		return 2;
	}
	/* A sanitizer runtime reports SEGV/BUS/FPE itself, with a stack: keep
	 * its handlers and ask it to call us as it dies. abort() and traps
	 * from the harnesses' own checks reach only our handlers, and so does
	 * a UBSan report with UBSAN_OPTIONS=abort_on_error=1 (gcc links UBSan
	 * as its own runtime, which never calls ASan's death callback). */
	if (__sanitizer_set_death_callback) {
		__sanitizer_set_death_callback(report_crash);
	} else {
		signal(SIGSEGV, on_signal);
		signal(SIGBUS, on_signal);
		signal(SIGFPE, on_signal);
	}
	signal(SIGILL, on_signal);
	signal(SIGABRT, on_signal);

	for (; i < argc; i++) {
		struct stat st;
		int r;

		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: cannot stat %s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		r = S_ISDIR(st.st_mode) ? replay_dir(argv[i], mutations) : replay_file(argv[i], mutations);
		if (r < 0)
			return 2;
		seeds += r;
	}
	if (seeds == 0) {
		fprintf(stderr, "replay: no seed files found\n");
		return 2;
	}
	printf("replay: %d seeds, %lu mutations each, %llu inputs, no crash\n", seeds, mutations,
	       (unsigned long long)n_inputs);
	return 0;
}

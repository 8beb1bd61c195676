/*
 * A userspace network emulator for the fault suite (issue #21; docs/testing.md "Network faults"):
 * what `tc netem` does, for kernels without sch_netem. One TUN device per host, each opened inside
 * its host's network namespace; IPv4 packets read from host i's TUN are forwarded, by destination
 * address, to host j's TUN through the directed link i -> j, which can add a delay, jitter, loss,
 * duplication, reordering and a rate limit, or be cut.
 *
 *   netem SEED NAME:TUN:ADDR ...      e.g. netem 42 shl1n0:sltun:172.20.1.1 shl1n1:sltun:172.20.1.2
 *
 * NAME is a namespace under /var/run/netns. Commands on stdin, one a line, each answered with one
 * line on stdout ("ok", "error: ...", or the stats JSON):
 *
 *   link I J [delay=MS] [jitter=MS] [loss=PCT] [dup=PCT] [reorder=PCT] [rate=KBIT] [limit=PKTS]
 *        sets link I -> J to exactly these (keys not given are 0; limit defaults to 1000);
 *        I or J may be '*' (every host); the cut state is kept
 *   cut I J / heal I J                 drop everything I sends to J / stop dropping
 *   stats                              {"fwd":..,"loss":..,"cut":..,"dup":..,"reorder":..,"full":..,"wfail":..,"queued":..,"bad":..}
 *                                      (forwarded; dropped by loss, a cut, a full link queue; duplicated; sent early;
 *                                      a TUN write that failed; in flight; not IPv4 for another host)
 *
 * Semantics follow netem: the delay is delay + uniform(-jitter, +jitter) per packet, and packets
 * leave in the order of their send times (so jitter reorders); with reorder=P, P% of packets skip
 * the delay and go at once (netem's "reorder P%"), overtaking the ones in flight; dup=P sends P% of
 * packets twice; rate=K serialises the link at K kbit/s before the delay, and a link holding
 * `limit` packets drops the next (a full queue). The PRNG is seeded from SEED (xorshift64*), so a
 * run with the same traffic makes the same choices. Prints "ready" once every TUN is open; exits
 * when stdin closes (the TUNs are not persistent: they go with the process).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#define MAX_HOSTS 32
#define MAX_PKT 65536
#define MAX_QUEUED 200000

struct link {
  double delay_us, jitter_us, loss, dup, reorder, rate_kbit;
  long limit;
  int cut;
  long inflight;
  uint64_t busy_until; /* rate: when the link finishes sending what it holds */
};

struct pkt {
  uint64_t at; /* when it leaves, monotonic us */
  uint64_t seq;
  int to, from;
  int len;
  unsigned char *data;
};

static int nhosts;
static int fds[MAX_HOSTS];
static uint32_t addrs[MAX_HOSTS];
static struct link links[MAX_HOSTS][MAX_HOSTS];
static struct pkt *heap;
static long heap_n, heap_cap;
static uint64_t seq_no;
static uint64_t rng;
static unsigned long long st_fwd, st_loss, st_cut, st_dup, st_reorder, st_full, st_wfail, st_bad;

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000u + (uint64_t)t.tv_nsec / 1000u;
}

/* xorshift64*: uniform in [0, 1). */
static double rnd(void) {
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (double)((rng * 2685821657736338717ull) >> 11) / 9007199254740992.0;
}

static int before(const struct pkt *a, const struct pkt *b) {
  return a->at < b->at || (a->at == b->at && a->seq < b->seq);
}

static void heap_push(struct pkt p) {
  if (heap_n == heap_cap) {
    heap_cap = heap_cap ? heap_cap * 2 : 1024;
    heap = realloc(heap, (size_t)heap_cap * sizeof *heap);
    if (!heap) { perror("netem: realloc"); exit(1); }
  }
  long i = heap_n++;
  while (i > 0) {
    long parent = (i - 1) / 2;
    if (!before(&p, &heap[parent])) break;
    heap[i] = heap[parent];
    i = parent;
  }
  heap[i] = p;
}

static struct pkt heap_pop(void) {
  struct pkt top = heap[0], last = heap[--heap_n];
  long i = 0;
  for (;;) {
    long c = 2 * i + 1;
    if (c >= heap_n) break;
    if (c + 1 < heap_n && before(&heap[c + 1], &heap[c])) c++;
    if (!before(&heap[c], &last)) break;
    heap[i] = heap[c];
    i = c;
  }
  if (heap_n > 0) heap[i] = last;
  return top;
}

static int host_of(uint32_t addr) {
  for (int i = 0; i < nhosts; i++) if (addrs[i] == addr) return i;
  return -1;
}

static void enqueue(int from, int to, const unsigned char *buf, int len, uint64_t at) {
  struct link *l = &links[from][to];
  if (heap_n >= MAX_QUEUED || l->inflight >= l->limit) { st_full++; return; }
  struct pkt p = { at, seq_no++, to, from, len, malloc((size_t)len) };
  if (!p.data) { st_full++; return; }
  memcpy(p.data, buf, (size_t)len);
  l->inflight++;
  heap_push(p);
}

static void on_packet(int from, const unsigned char *buf, int len) {
  if (len < 20 || (buf[0] >> 4) != 4) { st_bad++; return; } /* IPv4 only: e.g. IPv6 router solicitations are counted as bad */
  uint32_t dst;
  memcpy(&dst, buf + 16, 4);
  int to = host_of(dst);
  if (to < 0 || to == from) { st_bad++; return; }
  struct link *l = &links[from][to];
  if (l->cut) { st_cut++; return; }
  if (l->loss > 0 && rnd() * 100 < l->loss) { st_loss++; return; }
  int copies = 1;
  if (l->dup > 0 && rnd() * 100 < l->dup) { copies = 2; st_dup++; }
  uint64_t now = now_us();
  for (int c = 0; c < copies; c++) {
    uint64_t start = now;
    if (l->rate_kbit > 0) {
      if (l->busy_until > start) start = l->busy_until;
      start += (uint64_t)((double)len * 8.0 * 1000.0 / l->rate_kbit);
      l->busy_until = start;
    }
    double d = l->delay_us;
    if (l->jitter_us > 0) d += (rnd() * 2 - 1) * l->jitter_us;
    if (l->reorder > 0 && rnd() * 100 < l->reorder) { d = 0; st_reorder++; }
    if (d < 0) d = 0;
    enqueue(from, to, buf, len, start + (uint64_t)d);
  }
}

static void deliver_due(void) {
  uint64_t now = now_us();
  while (heap_n > 0 && heap[0].at <= now) {
    struct pkt p = heap_pop();
    links[p.from][p.to].inflight--;
    /* A full TUN queue (the receiving stack is behind) loses the packet, as a NIC would. */
    if (write(fds[p.to], p.data, (size_t)p.len) == p.len) st_fwd++; else st_wfail++;
    free(p.data);
  }
}

static int parse_host(const char *s, int *out) {
  if (strcmp(s, "*") == 0) { *out = -1; return 0; }
  char *end;
  long v = strtol(s, &end, 10);
  if (*s == 0 || *end || v < 0 || v >= nhosts) return -1;
  *out = (int)v;
  return 0;
}

static void reply(const char *s) {
  fputs(s, stdout);
  fputc('\n', stdout);
  fflush(stdout);
}

static void command(char *line) {
  char *argv[16];
  int argc = 0;
  for (char *t = strtok(line, " \t\r"); t && argc < 16; t = strtok(NULL, " \t\r")) argv[argc++] = t;
  if (argc == 0) return;
  if (strcmp(argv[0], "stats") == 0) {
    long queued = heap_n;
    printf("{\"fwd\":%llu,\"loss\":%llu,\"cut\":%llu,\"dup\":%llu,\"reorder\":%llu,\"full\":%llu,\"wfail\":%llu,\"queued\":%ld,\"bad\":%llu}\n",
           st_fwd, st_loss, st_cut, st_dup, st_reorder, st_full, st_wfail, queued, st_bad);
    fflush(stdout);
    return;
  }
  int i, j;
  if (argc < 3 || parse_host(argv[1], &i) || parse_host(argv[2], &j)) {
    reply("error: expected 'link|cut|heal I J ...' with I and J host indexes or '*', or 'stats'");
    return;
  }
  int isLink = strcmp(argv[0], "link") == 0, isCut = strcmp(argv[0], "cut") == 0, isHeal = strcmp(argv[0], "heal") == 0;
  if (!isLink && !isCut && !isHeal) { reply("error: unknown command (link, cut, heal, stats)"); return; }
  struct link v = { 0 };
  v.limit = 1000;
  for (int a = 3; a < argc; a++) {
    char *eq = strchr(argv[a], '=');
    char *end;
    if (!isLink || !eq) { reply("error: expected key=value after 'link I J'"); return; }
    *eq = 0;
    double x = strtod(eq + 1, &end);
    if (eq[1] == 0 || *end || x < 0) { printf("error: %s wants a number >= 0\n", argv[a]); fflush(stdout); return; }
    if (strcmp(argv[a], "delay") == 0) v.delay_us = x * 1000;
    else if (strcmp(argv[a], "jitter") == 0) v.jitter_us = x * 1000;
    else if (strcmp(argv[a], "loss") == 0 && x <= 100) v.loss = x;
    else if (strcmp(argv[a], "dup") == 0 && x <= 100) v.dup = x;
    else if (strcmp(argv[a], "reorder") == 0 && x <= 100) v.reorder = x;
    else if (strcmp(argv[a], "rate") == 0) v.rate_kbit = x;
    else if (strcmp(argv[a], "limit") == 0 && x >= 1) v.limit = (long)x;
    else { printf("error: unknown key or value out of range: %s (delay, jitter, loss, dup, reorder, rate, limit)\n", argv[a]); fflush(stdout); return; }
  }
  for (int a = 0; a < nhosts; a++) {
    if (i >= 0 && a != i) continue;
    for (int b = 0; b < nhosts; b++) {
      if ((j >= 0 && b != j) || a == b) continue;
      struct link *l = &links[a][b];
      if (isCut) l->cut = 1;
      else if (isHeal) l->cut = 0;
      else {
        int cut = l->cut;
        long inflight = l->inflight;
        uint64_t busy = l->busy_until;
        *l = v;
        l->cut = cut;
        l->inflight = inflight;
        l->busy_until = busy;
      }
    }
  }
  reply("ok");
}

static int open_tun(const char *ns, const char *name) {
  char path[600];
  snprintf(path, sizeof path, "/var/run/netns/%s", ns);
  int nsfd = open(path, O_RDONLY | O_CLOEXEC);
  if (nsfd < 0) { fprintf(stderr, "netem: open %s: %s\n", path, strerror(errno)); return -1; }
  if (setns(nsfd, CLONE_NEWNET) < 0) { fprintf(stderr, "netem: setns %s: %s\n", path, strerror(errno)); close(nsfd); return -1; }
  close(nsfd);
  /* The TUN device is made in the namespace the process is in when it opens /dev/net/tun. */
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) { fprintf(stderr, "netem: open /dev/net/tun in %s: %s\n", ns, strerror(errno)); return -1; }
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) { fprintf(stderr, "netem: TUNSETIFF %s in %s: %s\n", name, ns, strerror(errno)); close(fd); return -1; }
  return fd;
}

int main(int argc, char **argv) {
  if (argc < 3 || argc - 2 > MAX_HOSTS) {
    fprintf(stderr, "usage: netem SEED NAMESPACE:TUN:IPV4 ... (2 to %d hosts)\n", MAX_HOSTS);
    return 2;
  }
  rng = strtoull(argv[1], NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
  int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  if (self < 0) { perror("netem: /proc/self/ns/net"); return 1; }
  nhosts = argc - 2;
  for (int i = 0; i < nhosts; i++) {
    char spec[512];
    snprintf(spec, sizeof spec, "%s", argv[i + 2]);
    char *c1 = strchr(spec, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    struct in_addr a;
    if (!c1 || !c2 || inet_pton(AF_INET, c2 + 1, &a) != 1) { fprintf(stderr, "netem: bad host '%s', want NAMESPACE:TUN:IPV4\n", argv[i + 2]); return 2; }
    *c1 = 0;
    *c2 = 0;
    addrs[i] = a.s_addr;
    if ((fds[i] = open_tun(spec, c1 + 1)) < 0) return 1;
    for (int j = 0; j < nhosts; j++) links[i][j].limit = 1000;
  }
  if (setns(self, CLONE_NEWNET) < 0) { perror("netem: setns back"); return 1; }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = { .events = EPOLLIN };
  for (int i = 0; i < nhosts; i++) {
    ev.data.u32 = (uint32_t)i;
    epoll_ctl(ep, EPOLL_CTL_ADD, fds[i], &ev);
  }
  ev.data.u32 = MAX_HOSTS;
  fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_NONBLOCK);
  epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev);
  reply("ready");

  static unsigned char buf[MAX_PKT];
  static char cmd[4096];
  size_t cmd_n = 0;
  for (;;) {
    int timeout = -1;
    if (heap_n > 0) {
      uint64_t now = now_us();
      timeout = heap[0].at <= now ? 0 : (int)((heap[0].at - now + 999) / 1000);
    }
    struct epoll_event evs[MAX_HOSTS + 1];
    int n = epoll_wait(ep, evs, MAX_HOSTS + 1, timeout);
    if (n < 0 && errno != EINTR) { perror("netem: epoll_wait"); return 1; }
    for (int e = 0; e < n; e++) {
      uint32_t h = evs[e].data.u32;
      if (h == MAX_HOSTS) {
        for (;;) {
          ssize_t r = read(0, cmd + cmd_n, sizeof cmd - 1 - cmd_n);
          if (r == 0) return 0; /* stdin closed: the lab is gone */
          if (r < 0) { if (errno == EAGAIN || errno == EINTR) break; return 0; }
          cmd_n += (size_t)r;
          char *nl;
          while ((nl = memchr(cmd, '\n', cmd_n))) {
            *nl = 0;
            command(cmd);
            size_t used = (size_t)(nl - cmd) + 1;
            memmove(cmd, nl + 1, cmd_n - used);
            cmd_n -= used;
          }
          if (cmd_n == sizeof cmd - 1) { reply("error: command line too long"); cmd_n = 0; }
        }
        continue;
      }
      /* Drain this TUN: a bounded batch, so one busy host does not starve the rest. */
      for (int k = 0; k < 256; k++) {
        ssize_t r = read(fds[h], buf, sizeof buf);
        if (r <= 0) break;
        on_packet((int)h, buf, (int)r);
      }
    }
    deliver_due();
  }
}

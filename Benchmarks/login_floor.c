/*
 * The least a server can do for an FTP login: one thread, epoll, fixed replies, no parsing beyond the verb, no
 * storage, no authentication, no logging. `load_bench.py --only setup` times the same 200 ftplib logins against it
 * as against the real servers, so pyftpdlib's time over this one's is the best ratio any server could show on this
 * machine with this client: what is left is the client, loopback TCP and the wake-ups.
 *
 * Usage: login_floor PORT (listens on 127.0.0.1; prints "ready" once listening; stops on SIGTERM).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FD 65536
#define LINE 512

static char lines[MAX_FD][LINE];
static size_t filled[MAX_FD];

static void reply(int fd, const char *text) {
    /* Replies are a few bytes on a socket with room: a short write would mean a client not reading, dropped. */
    if (write(fd, text, strlen(text)) < 0 && errno != EAGAIN) close(fd);
}

static void answer(int fd, const char *line) {
    if (strncasecmp(line, "USER", 4) == 0) reply(fd, "331 Password required.\r\n");
    else if (strncasecmp(line, "PASS", 4) == 0) reply(fd, "230 Logged in.\r\n");
    else if (strncasecmp(line, "QUIT", 4) == 0) reply(fd, "221 Goodbye.\r\n");
    else reply(fd, "502 Not implemented here.\r\n");
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: login_floor PORT\n");
        return 2;
    }
    int listener = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons(atoi(argv[1])),
                                  .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    if (bind(listener, (struct sockaddr *)&address, sizeof address) != 0 || listen(listener, 4096) != 0) {
        perror("login_floor: listen");
        return 1;
    }
    int poller = epoll_create1(0);
    struct epoll_event event = {.events = EPOLLIN, .data.fd = listener};
    epoll_ctl(poller, EPOLL_CTL_ADD, listener, &event);
    printf("ready\n");
    fflush(stdout);
    struct epoll_event ready[256];
    for (;;) {
        int n = epoll_wait(poller, ready, 256, -1);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return 1;
        for (int i = 0; i < n; i++) {
            int fd = ready[i].data.fd;
            if (fd == listener) {
                int client;
                while ((client = accept4(listener, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (client >= MAX_FD) {
                        close(client);
                        continue;
                    }
                    setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    filled[client] = 0;
                    struct epoll_event e = {.events = EPOLLIN, .data.fd = client};
                    epoll_ctl(poller, EPOLL_CTL_ADD, client, &e);
                    reply(client, "220 Ready.\r\n");
                }
                continue;
            }
            ssize_t got = read(fd, lines[fd] + filled[fd], LINE - 1 - filled[fd]);
            if (got <= 0) {
                if (got < 0 && errno == EAGAIN) continue;
                close(fd); /* also leaves the epoll set */
                continue;
            }
            filled[fd] += (size_t)got;
            char *start = lines[fd];
            char *end;
            while ((end = memchr(start, '\n', filled[fd] - (size_t)(start - lines[fd]))) != NULL) {
                *end = 0;
                answer(fd, start);
                start = end + 1;
            }
            size_t rest = filled[fd] - (size_t)(start - lines[fd]);
            if (rest == LINE - 1) rest = 0; /* a line longer than any command: dropped */
            memmove(lines[fd], start, rest);
            filled[fd] = rest;
        }
    }
}

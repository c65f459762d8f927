/*
 * The one thing Node.js cannot do for the CRIU client: an AF_UNIX
 * SOCK_SEQPACKET socketpair whose ends are blocking (CRIU reads its end with
 * plain blocking reads and fails with EAGAIN otherwise), whole-message send,
 * and a receive that waits on libuv's thread pool so the event loop never
 * blocks.
 *
 *   socketpair()                    -> [fd, fd]   both SOCK_CLOEXEC, blocking
 *   send(fd, bytes)                 -> number of bytes sent (whole message)
 *   recv(fd, maxBytes, timeoutMs)   -> Promise of one of
 *        { kind: 'message', data: Buffer }
 *        { kind: 'eof' }                      peer closed its end
 *        { kind: 'timeout' }                  nothing arrived in time
 *        { kind: 'truncated', size: number }  message larger than maxBytes
 *   close(fd)
 *
 * Errors carry `code` (an errno name) and `errno`. The caller must not close
 * an fd while a recv on it is pending; the TypeScript wrapper enforces that.
 */
#define NAPI_VERSION 8
#include <node_api.h>

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* CRIU's messages are a few KiB; anything near this is a bug, not data. */
#define MAX_MESSAGE (16u << 20)

static const char *errno_code(int err) {
	switch (err) {
	case EAGAIN: return "EAGAIN";
	case EBADF: return "EBADF";
	case ECONNRESET: return "ECONNRESET";
	case EINTR: return "EINTR";
	case EINVAL: return "EINVAL";
	case EMFILE: return "EMFILE";
	case EMSGSIZE: return "EMSGSIZE";
	case ENFILE: return "ENFILE";
	case ENOBUFS: return "ENOBUFS";
	case ENOMEM: return "ENOMEM";
	case ENOTCONN: return "ENOTCONN";
	case ENOTSOCK: return "ENOTSOCK";
	case EPIPE: return "EPIPE";
	default: return "EUNKNOWN";
	}
}

static napi_value make_errno_error(napi_env env, const char *what, int err) {
	char msg[256];
	napi_value code, text, error, num;
	snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
	if (napi_create_string_utf8(env, errno_code(err), NAPI_AUTO_LENGTH, &code) != napi_ok ||
	    napi_create_string_utf8(env, msg, NAPI_AUTO_LENGTH, &text) != napi_ok ||
	    napi_create_error(env, code, text, &error) != napi_ok)
		return NULL;
	if (napi_create_int32(env, err, &num) == napi_ok)
		napi_set_named_property(env, error, "errno", num);
	return error;
}

static void throw_errno(napi_env env, const char *what, int err) {
	napi_value error = make_errno_error(env, what, err);
	if (error != NULL)
		napi_throw(env, error);
	else
		napi_throw_error(env, errno_code(err), what);
}

/* Reads argument i as an int32 within [min, max]; throws and returns 0 if not. */
static int get_int_arg(napi_env env, napi_value *argv, size_t argc, size_t i,
		       int64_t min, int64_t max, const char *name, int64_t *out) {
	napi_valuetype type;
	double value;
	if (i >= argc || napi_typeof(env, argv[i], &type) != napi_ok || type != napi_number ||
	    napi_get_value_double(env, argv[i], &value) != napi_ok ||
	    value != value || value < (double)min || value > (double)max || value != (double)(int64_t)value) {
		char msg[96];
		snprintf(msg, sizeof msg, "%s must be an integer in [%lld, %lld]", name,
			 (long long)min, (long long)max);
		napi_throw_type_error(env, "ERR_INVALID_ARG", msg);
		return 0;
	}
	*out = (int64_t)value;
	return 1;
}

static napi_value js_socketpair(napi_env env, napi_callback_info info) {
	int fds[2];
	napi_value result, a, b;
	(void)info;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) {
		throw_errno(env, "socketpair", errno);
		return NULL;
	}
	if (napi_create_array_with_length(env, 2, &result) != napi_ok ||
	    napi_create_int32(env, fds[0], &a) != napi_ok ||
	    napi_create_int32(env, fds[1], &b) != napi_ok ||
	    napi_set_element(env, result, 0, a) != napi_ok ||
	    napi_set_element(env, result, 1, b) != napi_ok) {
		close(fds[0]);
		close(fds[1]);
		return NULL;
	}
	return result;
}

static napi_value js_send(napi_env env, napi_callback_info info) {
	size_t argc = 2;
	napi_value argv[2], result;
	int64_t fd;
	void *data;
	size_t len;
	bool is_typed;
	napi_typedarray_type ttype;
	napi_value arraybuffer;
	size_t offset;
	ssize_t n;

	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
		return NULL;
	if (!get_int_arg(env, argv, argc, 0, 0, INT32_MAX, "fd", &fd))
		return NULL;
	if (argc < 2 || napi_is_typedarray(env, argv[1], &is_typed) != napi_ok || !is_typed ||
	    napi_get_typedarray_info(env, argv[1], &ttype, &len, &data, &arraybuffer, &offset) != napi_ok ||
	    ttype != napi_uint8_array) {
		napi_throw_type_error(env, "ERR_INVALID_ARG", "data must be a Uint8Array");
		return NULL;
	}
	if (len > MAX_MESSAGE) {
		throw_errno(env, "send", EMSGSIZE);
		return NULL;
	}
	/* SEQPACKET sends the whole record or nothing; MSG_NOSIGNAL turns a
	 * closed peer into EPIPE instead of a signal. */
	do {
		n = send((int)fd, data, len, MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		throw_errno(env, "send", errno);
		return NULL;
	}
	if (napi_create_int64(env, n, &result) != napi_ok)
		return NULL;
	return result;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
	size_t argc = 1;
	napi_value argv[1];
	int64_t fd;
	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
		return NULL;
	if (!get_int_arg(env, argv, argc, 0, 0, INT32_MAX, "fd", &fd))
		return NULL;
	/* Linux releases the fd even when close reports EINTR: never retry. */
	if (close((int)fd) != 0 && errno != EINTR) {
		throw_errno(env, "close", errno);
		return NULL;
	}
	return NULL;
}

enum recv_outcome { RECV_MESSAGE, RECV_EOF, RECV_TIMEOUT, RECV_TRUNCATED, RECV_ERROR };

struct recv_job {
	napi_async_work work;
	napi_deferred deferred;
	int fd;
	size_t max_bytes;
	int timeout_ms;
	/* Filled on the worker thread. */
	enum recv_outcome outcome;
	unsigned char *buf;
	size_t len;
	int err;
	const char *failed_call;
};

static int64_t now_ms(void) {
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void recv_execute(napi_env env, void *data) {
	struct recv_job *job = data;
	int64_t deadline = now_ms() + job->timeout_ms;
	struct pollfd pfd = { .fd = job->fd, .events = POLLIN };
	(void)env;

	for (;;) {
		int64_t left = deadline - now_ms();
		int r = poll(&pfd, 1, left > 0 ? (int)left : 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			job->outcome = RECV_ERROR;
			job->err = errno;
			job->failed_call = "poll";
			return;
		}
		if (r == 0) {
			job->outcome = RECV_TIMEOUT;
			return;
		}
		break;
	}

	job->buf = malloc(job->max_bytes > 0 ? job->max_bytes : 1);
	if (job->buf == NULL) {
		job->outcome = RECV_ERROR;
		job->err = ENOMEM;
		job->failed_call = "malloc";
		return;
	}
	for (;;) {
		struct iovec iov = { .iov_base = job->buf, .iov_len = job->max_bytes };
		struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
		/* No control buffer: any fds CRIU attaches are discarded by the
		 * kernel (MSG_CTRUNC), never installed in this process. MSG_TRUNC
		 * makes the kernel report the record's real size. */
		ssize_t n = recvmsg(job->fd, &msg, MSG_DONTWAIT | MSG_TRUNC | MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Woken without data (another reader won the race): report as
			 * a timeout so the caller simply asks again. */
			job->outcome = RECV_TIMEOUT;
			return;
		}
		if (n < 0) {
			job->outcome = RECV_ERROR;
			job->err = errno;
			job->failed_call = "recvmsg";
			return;
		}
		if (n == 0) {
			job->outcome = RECV_EOF;
			return;
		}
		if ((msg.msg_flags & MSG_TRUNC) || (size_t)n > job->max_bytes) {
			job->outcome = RECV_TRUNCATED;
			job->len = (size_t)n;
			return;
		}
		job->outcome = RECV_MESSAGE;
		job->len = (size_t)n;
		return;
	}
}

static napi_value outcome_object(napi_env env, struct recv_job *job) {
	static const char *kinds[] = { "message", "eof", "timeout", "truncated" };
	napi_value obj, kind, value;
	if (napi_create_object(env, &obj) != napi_ok ||
	    napi_create_string_utf8(env, kinds[job->outcome], NAPI_AUTO_LENGTH, &kind) != napi_ok ||
	    napi_set_named_property(env, obj, "kind", kind) != napi_ok)
		return NULL;
	if (job->outcome == RECV_MESSAGE) {
		void *copy;
		if (napi_create_buffer_copy(env, job->len, job->buf, &copy, &value) != napi_ok ||
		    napi_set_named_property(env, obj, "data", value) != napi_ok)
			return NULL;
	} else if (job->outcome == RECV_TRUNCATED) {
		if (napi_create_double(env, (double)job->len, &value) != napi_ok ||
		    napi_set_named_property(env, obj, "size", value) != napi_ok)
			return NULL;
	}
	return obj;
}

static void reject_with_message(napi_env env, napi_deferred deferred, const char *text) {
	napi_value msg, error;
	napi_create_string_utf8(env, text, NAPI_AUTO_LENGTH, &msg);
	napi_create_error(env, NULL, msg, &error);
	napi_reject_deferred(env, deferred, error);
}

static void recv_complete(napi_env env, napi_status status, void *data) {
	struct recv_job *job = data;
	napi_value value = NULL;

	if (status != napi_ok) {
		reject_with_message(env, job->deferred, "recv was cancelled");
	} else if (job->outcome == RECV_ERROR) {
		value = make_errno_error(env, job->failed_call, job->err);
		if (value != NULL)
			napi_reject_deferred(env, job->deferred, value);
		else
			reject_with_message(env, job->deferred, job->failed_call);
	} else {
		value = outcome_object(env, job);
		if (value != NULL)
			napi_resolve_deferred(env, job->deferred, value);
		else
			reject_with_message(env, job->deferred, "recv: cannot build result");
	}
	napi_delete_async_work(env, job->work);
	free(job->buf);
	free(job);
}

static napi_value js_recv(napi_env env, napi_callback_info info) {
	size_t argc = 3;
	napi_value argv[3], promise, name;
	int64_t fd, max_bytes, timeout_ms;
	struct recv_job *job;

	if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok)
		return NULL;
	if (!get_int_arg(env, argv, argc, 0, 0, INT32_MAX, "fd", &fd) ||
	    !get_int_arg(env, argv, argc, 1, 1, MAX_MESSAGE, "maxBytes", &max_bytes) ||
	    !get_int_arg(env, argv, argc, 2, 0, INT32_MAX, "timeoutMs", &timeout_ms))
		return NULL;

	job = calloc(1, sizeof *job);
	if (job == NULL) {
		throw_errno(env, "recv", ENOMEM);
		return NULL;
	}
	job->fd = (int)fd;
	job->max_bytes = (size_t)max_bytes;
	job->timeout_ms = (int)timeout_ms;

	if (napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
		free(job);
		napi_throw_error(env, NULL, "recv: cannot create a promise");
		return NULL;
	}
	if (napi_create_string_utf8(env, "seqpacket.recv", NAPI_AUTO_LENGTH, &name) != napi_ok ||
	    napi_create_async_work(env, NULL, name, recv_execute, recv_complete, job, &job->work) != napi_ok) {
		reject_with_message(env, job->deferred, "recv: cannot create async work");
		free(job);
		return promise;
	}
	if (napi_queue_async_work(env, job->work) != napi_ok) {
		napi_delete_async_work(env, job->work);
		reject_with_message(env, job->deferred, "recv: cannot queue async work");
		free(job);
	}
	return promise;
}

NAPI_MODULE_INIT() {
	napi_property_descriptor props[] = {
		{ "socketpair", NULL, js_socketpair, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "send", NULL, js_send, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "recv", NULL, js_recv, NULL, NULL, NULL, napi_enumerable, NULL },
		{ "close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL },
	};
	if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok)
		return NULL;
	return exports;
}

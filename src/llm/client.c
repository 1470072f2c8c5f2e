/*
 * The HTTP client of one provider: the libcurl adapter (the only file that
 * includes curl), with the retry policy, the in-flight limit and the
 * circuit breaker that client.h describes.
 */
#include "base/common.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/json.h"
#include "llm/client.h"
#include "llm/llm_priv.h"

#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

/* a reply larger than this is not one a model sends */
#define REPLY_CAP (64u << 20)
/* waits wake up this often to look at *cancel */
#define WAKE_MS 50

struct wfm_llm_client {
	struct wfm_llm_client_opts o;
	const struct wfm_llm_api_ops *ops;
	char *url;
	char *base_url, *api_key;
	struct curl_slist *headers;

	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned limit, in_flight;
	unsigned refusals;		    /* in a row */
	uint64_t breaker_until, not_before; /* monotonic ms */
	uint64_t rng;
	/* a refusal that holds for every call (a bad key, a spend limit):
	 * later calls fail with it without being sent */
	char *dead;
};

int wfm_llm_global_init(void)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
		return wfm_error_set("cannot initialise libcurl: %s", curl_easy_strerror(rc));
	return 0;
}

void wfm_llm_global_cleanup(void)
{
	curl_global_cleanup();
}

static int cancelled(const volatile sig_atomic_t *cancel)
{
	return cancel && *cancel;
}

/* xorshift64*, under c->mu */
static uint64_t rnd(struct wfm_llm_client *c)
{
	uint64_t x = c->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return x * 0x2545F4914F6CDD1DULL;
}

#define DEF(field, v)                                                                              \
	do {                                                                                       \
		if (!c->o.field)                                                                   \
			c->o.field = (v);                                                          \
	} while (0)

int wfm_llm_client_new(struct wfm_llm_client **out, const struct wfm_llm_client_opts *opts)
{
	struct wfm_llm_client *c;
	const struct wfm_llm_api_ops *ops = wfm_llm_api(opts->api);
	struct wfm_buf b = WFM_BUF_INIT;
	struct timespec ts;
	size_t n;

	*out = NULL;
	if (!ops)
		return wfm_error_setc(WFM_EINVALID, "unknown LLM API %d", (int)opts->api);
	/* the default URLs are the provider table's (agent/provider.c) */
	if (!opts->base_url || !*opts->base_url)
		return wfm_error_setc(WFM_EINVALID, "no base URL for the %s API", ops->name);
	c = wfm_calloc(1, sizeof(*c));
	c->o = *opts;
	c->ops = ops;
	DEF(connect_timeout_ms, 10000);
	DEF(stall_timeout_ms, 120000);
	DEF(max_retries, 6);
	DEF(backoff_base_ms, 1000);
	DEF(backoff_max_ms, 60000);
	DEF(retry_after_max_ms, 120000);
	DEF(max_in_flight, 16);
	DEF(breaker_threshold, 8);
	DEF(breaker_cool_ms, 30000);
	c->base_url = wfm_strdup(opts->base_url);
	c->api_key = opts->api_key && *opts->api_key ? wfm_strdup(opts->api_key) : NULL;
	c->o.base_url = c->base_url;
	c->o.api_key = c->api_key;
	n = strlen(c->base_url);
	while (n && c->base_url[n - 1] == '/')
		n--;
	wfm_buf_add(&b, c->base_url, n);
	wfm_buf_adds(&b, ops->path);
	c->url = wfm_buf_detach(&b, NULL);

	c->headers = curl_slist_append(c->headers, "content-type: application/json");
	c->headers = curl_slist_append(c->headers, "accept: application/json");
	/* no 100-continue round trip before large bodies */
	c->headers = curl_slist_append(c->headers, "Expect:");
	if (opts->api == WFM_LLM_ANTHROPIC) {
		c->headers = curl_slist_append(c->headers, "anthropic-version: 2023-06-01");
		if (c->api_key) {
			wfm_buf_addf(&b, "x-api-key: %s", c->api_key);
			c->headers = curl_slist_append(c->headers, b.ptr);
		}
	} else if (c->api_key) {
		wfm_buf_addf(&b, "Authorization: Bearer %s", c->api_key);
		c->headers = curl_slist_append(c->headers, b.ptr);
	}
	wfm_buf_release(&b);
	if (!c->headers) {
		wfm_llm_client_free(c);
		return wfm_error_set("out of memory building HTTP headers");
	}

	pthread_mutex_init(&c->mu, NULL);
	wfm_clock_cond_init(&c->cv);
	c->limit = c->o.max_in_flight;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->rng = ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 16) ^
		 (uint64_t)(uintptr_t)c;
	if (!c->rng)
		c->rng = 0x9E3779B97F4A7C15ULL;
	*out = c;
	return 0;
}

void wfm_llm_client_free(struct wfm_llm_client *c)
{
	if (!c)
		return;
	if (c->limit) { /* set once the mutex exists */
		pthread_mutex_destroy(&c->mu);
		pthread_cond_destroy(&c->cv);
	}
	curl_slist_free_all(c->headers);
	free(c->url);
	free(c->base_url);
	free(c->api_key);
	free(c->dead);
	free(c);
}

unsigned wfm_llm_client_limit(struct wfm_llm_client *c)
{
	unsigned limit;

	pthread_mutex_lock(&c->mu);
	limit = c->limit;
	pthread_mutex_unlock(&c->mu);
	return limit;
}

/* Waits for a place among the calls in flight; 0, or -1 once cancelled. */
static int acquire(struct wfm_llm_client *c, const volatile sig_atomic_t *cancel, uint64_t *waited)
{
	uint64_t start = wfm_clock_mono_ms();
	int rc = 0;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		uint64_t now = wfm_clock_mono_ms(), until = 0;
		struct timespec ts;

		if (cancelled(cancel)) {
			rc = -1;
			break;
		}
		if (c->breaker_until > now)
			until = c->breaker_until;
		if (c->not_before > now && c->not_before > until)
			until = c->not_before;
		if (!until && c->in_flight < c->limit)
			break;
		wfm_clock_deadline(&ts, until && until - now < WAKE_MS ? until - now : WAKE_MS);
		pthread_cond_timedwait(&c->cv, &c->mu, &ts);
	}
	if (!rc)
		c->in_flight++;
	pthread_mutex_unlock(&c->mu);
	*waited += wfm_clock_mono_ms() - start;
	return rc;
}

enum outcome {
	OK,	   /* a 2xx */
	THROTTLED, /* 429, 529: the limit halves */
	REFUSED,   /* other retryable statuses, transport errors */
	OTHER,	   /* a final error, a cancellation: says nothing of the provider */
};

static void release(struct wfm_llm_client *c, enum outcome what, uint64_t retry_after_ms)
{
	pthread_mutex_lock(&c->mu);
	c->in_flight--;
	switch (what) {
	case OK:
		c->refusals = 0;
		if (c->limit < c->o.max_in_flight)
			c->limit++;
		break;
	case THROTTLED:
		c->limit = c->limit / 2 ? c->limit / 2 : 1;
		/* fall through */
	case REFUSED:
		if (++c->refusals >= c->o.breaker_threshold) {
			c->breaker_until = wfm_clock_mono_ms() + c->o.breaker_cool_ms;
			c->refusals = 0;
		}
		break;
	case OTHER:
		break;
	}
	/* the provider asked everyone, not only this call, to wait */
	if (retry_after_ms) {
		uint64_t t = wfm_clock_mono_ms() + retry_after_ms;

		if (t > c->not_before)
			c->not_before = t;
	}
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
}

/* Sleeps ms, waking every WAKE_MS for *cancel; -1 when cancelled. */
static int nap(unsigned long ms, const volatile sig_atomic_t *cancel)
{
	uint64_t end = wfm_clock_mono_ms() + ms;

	for (;;) {
		uint64_t now = wfm_clock_mono_ms();
		unsigned long step;
		struct timespec ts;

		if (cancelled(cancel))
			return -1;
		if (now >= end)
			return 0;
		step = end - now < WAKE_MS ? (unsigned long)(end - now) : WAKE_MS;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)step * 1000000;
		nanosleep(&ts, NULL);
	}
}

struct xfer {
	struct wfm_buf body;
	const volatile sig_atomic_t *cancel;
	unsigned long stall_ms;
	uint64_t last_byte; /* when a byte last went either way */
	curl_off_t last_dl, last_ul;
	int stalled;
	int too_large;
	int has_retry_after;
	double retry_after_s;  /* numeric retry-after */
	double retry_after_ms; /* retry-after-ms, < 0 when absent */
	char request_id[64];
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;

	if (wfm_buf_add(&x->body, ptr, size * nmemb) < 0) {
		x->too_large = 1;
		return 0;
	}
	return size * nmemb;
}

/* "name: value" → value (trimmed) when the name matches, else NULL */
static const char *header_value(char *line, size_t len, const char *name, size_t *vlen)
{
	size_t n = strlen(name);
	char *v;

	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	v = line + n + 1;
	len -= n + 1;
	while (len && (*v == ' ' || *v == '\t'))
		v++, len--;
	while (len && strchr(" \t\r\n", v[len - 1]))
		len--;
	*vlen = len;
	return v;
}

static double number(const char *v, size_t len, int *ok)
{
	char tmp[64];
	char *end;
	double d;

	*ok = 0;
	if (!len || len >= sizeof(tmp))
		return 0;
	memcpy(tmp, v, len);
	tmp[len] = '\0';
	d = strtod(tmp, &end);
	if (*end || d != d)
		return 0;
	*ok = 1;
	return d;
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *data)
{
	struct xfer *x = data;
	size_t len = size * nmemb, vlen;
	const char *v;
	int ok;

	/* a new response (after a 100 Continue): forget the last one's */
	if (len > 5 && !strncmp(line, "HTTP/", 5)) {
		x->has_retry_after = 0;
		x->retry_after_ms = -1;
	}
	if ((v = header_value(line, len, "retry-after-ms", &vlen))) {
		double d = number(v, vlen, &ok);

		if (ok)
			x->retry_after_ms = d;
	} else if ((v = header_value(line, len, "retry-after", &vlen))) {
		x->has_retry_after = 1;
		x->retry_after_s = number(v, vlen, &ok);
		if (!ok)
			x->retry_after_s = -1; /* a date: curl converts it */
	} else if ((v = header_value(line, len, "request-id", &vlen)) ||
		   (v = header_value(line, len, "x-request-id", &vlen))) {
		if (vlen >= sizeof(x->request_id))
			vlen = sizeof(x->request_id) - 1;
		memcpy(x->request_id, v, vlen);
		x->request_id[vlen] = '\0';
	}
	return len;
}

static int on_progress(void *data, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct xfer *x = data;
	uint64_t now = wfm_clock_mono_ms();

	if (cancelled(x->cancel))
		return 1;
	/*
	 * The stall timeout. CURLOPT_LOW_SPEED_TIME alone averages the speed
	 * over the last seconds, upload included, so it fires seconds late;
	 * libcurl calls this at least once a second while waiting.
	 */
	if (dlnow != x->last_dl || ulnow != x->last_ul || !x->last_byte) {
		x->last_dl = dlnow;
		x->last_ul = ulnow;
		x->last_byte = now;
	} else if (now - x->last_byte >= x->stall_ms) {
		x->stalled = 1;
		return 1;
	}
	return 0;
}

static int retryable_status(long status)
{
	return status == 429 || status == 500 || status == 502 || status == 503 || status == 504 ||
	       status == 529;
}

/* What the server asked to wait, in ms, clamped; 0 when it did not say. */
static uint64_t retry_after(struct wfm_llm_client *c, CURL *h, const struct xfer *x)
{
	double ms = -1;

	if (x->retry_after_ms >= 0) {
		ms = x->retry_after_ms;
	} else if (x->has_retry_after && x->retry_after_s >= 0) {
		ms = x->retry_after_s * 1000;
	} else if (x->has_retry_after) {
		curl_off_t s = 0;

		if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &s) == CURLE_OK)
			ms = (double)s * 1000; /* a date in the past is negative */
	}
	if (!(ms > 0))
		return 0;
	if (ms > (double)c->o.retry_after_max_ms)
		return c->o.retry_after_max_ms;
	return (uint64_t)ms;
}

/* full jitter: a random wait in [0, min(cap, base * 2^attempt)] */
static uint64_t backoff(struct wfm_llm_client *c, unsigned attempt)
{
	uint64_t ceil = c->o.backoff_base_ms, r;

	for (unsigned i = 0; i < attempt && ceil < c->o.backoff_max_ms; i++)
		ceil *= 2;
	if (ceil > c->o.backoff_max_ms)
		ceil = c->o.backoff_max_ms;
	pthread_mutex_lock(&c->mu);
	r = rnd(c);
	pthread_mutex_unlock(&c->mu);
	return r % (ceil + 1);
}

static void setup(struct wfm_llm_client *c, CURL *h, struct xfer *x, const struct wfm_buf *body,
		  char *errbuf)
{
	/* a backstop only: on_progress times stalls (see there) */
	long stall_s = (long)((c->o.stall_timeout_ms + 999) / 1000) + 5;

	curl_easy_setopt(h, CURLOPT_URL, c->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, body->ptr);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body->len);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "git-wfmigrate/" WFM_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)c->o.connect_timeout_ms);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall_s);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
}

/*
 * What went wrong, in two parts: head ("529 overloaded_error", "transport
 * error") and detail (the provider's message, or the start of the body).
 */
static void describe(struct wfm_buf *head, struct wfm_buf *detail, struct wfm_llm_client *c,
		     long status, const struct xfer *x)
{
	char *msg = c->ops->error_message(x->body.ptr, x->body.len);
	const char *colon = msg ? strstr(msg, ": ") : NULL;

	wfm_buf_clear(head);
	wfm_buf_clear(detail);
	wfm_buf_addf(head, "%ld", status);
	/* "<type>: <message>": the type joins the status */
	if (colon && colon != msg && !memchr(msg, ' ', (size_t)(colon - msg))) {
		wfm_buf_addch(head, ' ');
		wfm_buf_add(head, msg, (size_t)(colon - msg));
		wfm_buf_adds(detail, colon + 2);
	} else if (msg) {
		wfm_buf_adds(detail, msg);
	} else if (x->body.len) {
		wfm_llm_snippet(detail, x->body.ptr, x->body.len, 200);
	} else {
		wfm_buf_adds(detail, "(empty body)");
	}
	free(msg);
}

static void latch(struct wfm_llm_client *c, const char *why)
{
	pthread_mutex_lock(&c->mu);
	if (!c->dead)
		c->dead = wfm_strdup(why);
	pthread_mutex_unlock(&c->mu);
}

int wfm_llm_client_call(struct wfm_llm_client *c, struct wfm_llm_reply *out,
			const struct wfm_llm_request *req, const volatile sig_atomic_t *cancel,
			struct wfm_llm_call_info *info)
{
	struct wfm_llm_call_info dummy;
	struct wfm_buf body = WFM_BUF_INIT, head = WFM_BUF_INIT, last = WFM_BUF_INIT;
	struct xfer x;
	CURL *h = NULL;
	char errbuf[CURL_ERROR_SIZE];
	const char *api = c->ops->name;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	memset(&x, 0, sizeof(x));
	wfm_buf_init(&x.body, 0);
	x.body.cap = REPLY_CAP;
	x.cancel = cancel;
	x.stall_ms = c->o.stall_timeout_ms;

	pthread_mutex_lock(&c->mu);
	if (c->dead)
		rc = wfm_error_setc(WFM_EINVALID, "%s (not sent: an earlier call was refused so)",
				    c->dead);
	pthread_mutex_unlock(&c->mu);
	if (rc < 0)
		goto done;
	rc = c->ops->build(&body, req);
	if (rc < 0)
		goto done;
	h = curl_easy_init();
	if (!h) {
		rc = wfm_error_set("%s: cannot create a libcurl handle", api);
		goto done;
	}
	setup(c, h, &x, &body, errbuf);

	for (unsigned attempt = 0;; attempt++) {
		enum outcome what;
		CURLcode cc;
		long status = 0;
		uint64_t wait_ms = 0, ra = 0;
		int retry;

		if (acquire(c, cancel, &info->waited_ms) < 0) {
			rc = wfm_error_set("cancelled");
			goto done;
		}
		info->attempts = attempt + 1;
		wfm_buf_clear(&x.body);
		x.too_large = x.has_retry_after = x.stalled = 0;
		x.last_byte = 0;
		x.last_dl = x.last_ul = 0;
		x.retry_after_ms = -1;
		errbuf[0] = '\0';
		cc = curl_easy_perform(h);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		if (x.request_id[0])
			memcpy(info->request_id, x.request_id, sizeof(info->request_id));

		if ((cc == CURLE_ABORTED_BY_CALLBACK && !x.stalled) || cancelled(cancel)) {
			release(c, OTHER, 0);
			rc = wfm_error_set("cancelled");
			goto done;
		}
		if (cc == CURLE_WRITE_ERROR && x.too_large) {
			release(c, OTHER, 0);
			rc = wfm_error_setc(WFM_EINVALID, "%s: %ld reply larger than %u bytes", api,
					    status, REPLY_CAP);
			goto done;
		}
		if (cc != CURLE_OK) {
			info->status = status;
			wfm_buf_clear(&head);
			wfm_buf_clear(&last);
			wfm_buf_adds(&head, "transport error");
			if (x.stalled)
				wfm_buf_addf(&last, "no byte for %lu ms", c->o.stall_timeout_ms);
			else
				wfm_buf_adds(&last, errbuf[0] ? errbuf : curl_easy_strerror(cc));
			what = REFUSED;
			retry = 1;
		} else {
			info->status = status;
			if (status >= 200 && status < 300) {
				cJSON *probe = NULL;

				/* a body cut or garbled on the way is the network's
				 * fault: retried; a JSON that is not a reply is not */
				if (wfm_json_parse(&probe, x.body.ptr, x.body.len) < 0) {
					wfm_buf_clear(&head);
					wfm_buf_clear(&last);
					wfm_buf_addf(&head, "%ld", status);
					wfm_buf_addf(&last,
						     "reply is not JSON (%s): ", wfm_error_last());
					wfm_llm_snippet(&last, x.body.ptr, x.body.len, 200);
					what = REFUSED;
					retry = 1;
				} else {
					cJSON_Delete(probe);
					release(c, OK, 0);
					rc = c->ops->parse(out, x.body.ptr, x.body.len);
					if (rc < 0) {
						rc = wfm_error_setc(WFM_EINVALID, "%s",
								    wfm_error_last());
						goto done;
					}
					if (out->usage.estimated && !out->usage.input &&
					    !out->usage.cache_read && !out->usage.cache_write)
						out->usage.input =
							wfm_llm_estimate_tokens(body.len);
					goto done;
				}
			} else {
				describe(&head, &last, c, status, &x);
				retry = retryable_status(status) &&
					!c->ops->error_final(status, x.body.ptr, x.body.len);
				if (!retry)
					what = OTHER;
				else if (status == 429 || status == 529)
					what = THROTTLED;
				else
					what = REFUSED;
				if (!retry) {
					release(c, what, 0);
					rc = wfm_error_setc(WFM_EINVALID, "%s: %s: %s", api,
							    head.ptr, last.ptr);
					/* no call will do better with this key or account */
					if (status == 401 || status == 429)
						latch(c, wfm_error_last());
					goto done;
				}
			}
			ra = retry_after(c, h, &x);
		}
		release(c, what, ra);
		if (!retry || attempt >= c->o.max_retries) {
			rc = wfm_error_setc(WFM_ETIMEOUT, "%s: %s after %u attempts: %s", api,
					    head.ptr, attempt + 1, last.ptr);
			goto done;
		}
		wait_ms = ra ? ra : backoff(c, attempt);
		{
			uint64_t t0 = wfm_clock_mono_ms();
			int r = nap((unsigned long)wait_ms, cancel);

			info->waited_ms += wfm_clock_mono_ms() - t0;
			if (r < 0) {
				rc = wfm_error_set("cancelled");
				goto done;
			}
		}
	}
done:
	if (h)
		curl_easy_cleanup(h);
	wfm_buf_release(&body);
	wfm_buf_release(&head);
	wfm_buf_release(&last);
	wfm_buf_release(&x.body);
	return rc;
}

#include "base/common.h"
#include "base/clock.h"
#include "llm/cache.h"

#include <pthread.h>
#include <time.h>

/* prompts remembered per class to find the shared part in */
#define SAMPLES 8

struct klass {
	char *name;
	char *shared; /* the shared part, once found */
	size_t shared_len;
	char *samples[SAMPLES];
	size_t nr_samples;
};

struct prefix {
	char key[17];
	int warm; /* 0: its first call is in flight */
};

struct wfm_llm_cache {
	pthread_mutex_t mu;
	pthread_cond_t changed;
	struct klass *classes;
	size_t nr_classes, alloc_classes;
	struct prefix *prefixes;
	size_t nr_prefixes, alloc_prefixes;
};

struct wfm_llm_cache *wfm_llm_cache_new(void)
{
	struct wfm_llm_cache *c = wfm_calloc(1, sizeof(*c));

	pthread_mutex_init(&c->mu, NULL);
	wfm_clock_cond_init(&c->changed);
	return c;
}

void wfm_llm_cache_free(struct wfm_llm_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nr_classes; i++) {
		free(c->classes[i].name);
		free(c->classes[i].shared);
		for (size_t j = 0; j < c->classes[i].nr_samples; j++)
			free(c->classes[i].samples[j]);
	}
	free(c->classes);
	free(c->prefixes);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->changed);
	free(c);
}

static struct klass *find_class(struct wfm_llm_cache *c, const char *name)
{
	struct klass *k;

	for (size_t i = 0; i < c->nr_classes; i++)
		if (!strcmp(c->classes[i].name, name))
			return &c->classes[i];
	WFM_ALLOC_GROW(c->classes, c->nr_classes + 1, c->alloc_classes);
	k = &c->classes[c->nr_classes++];
	memset(k, 0, sizeof(*k));
	k->name = wfm_strdup(name);
	return k;
}

/* The common prefix of a and b, cut after its last newline. */
static size_t common_lines(const char *a, const char *b)
{
	size_t n = 0, cut = 0;

	while (a[n] && a[n] == b[n]) {
		if (a[n] == '\n')
			cut = n + 1;
		n++;
	}
	return cut;
}

size_t wfm_llm_cache_split(struct wfm_llm_cache *c, const char *klass, const char *prompt)
{
	struct klass *k;
	size_t best = 0;

	pthread_mutex_lock(&c->mu);
	k = find_class(c, klass);
	if (k->shared && !strncmp(prompt, k->shared, k->shared_len)) {
		best = k->shared_len;
		goto done;
	}
	for (size_t i = 0; i < k->nr_samples; i++) {
		size_t n = common_lines(prompt, k->samples[i]);

		if (n > best)
			best = n;
	}
	if (best < WFM_LLM_CACHE_MIN_SHARED)
		best = 0;
	else if (!k->shared) {
		k->shared = wfm_strndup(prompt, best);
		k->shared_len = best;
	}
	if (k->nr_samples < SAMPLES)
		k->samples[k->nr_samples++] = wfm_strdup(prompt);
done:
	pthread_mutex_unlock(&c->mu);
	return best;
}

static struct prefix *find_prefix(struct wfm_llm_cache *c, const char *key)
{
	for (size_t i = 0; i < c->nr_prefixes; i++)
		if (!strcmp(c->prefixes[i].key, key))
			return &c->prefixes[i];
	return NULL;
}

void wfm_llm_cache_enter(struct wfm_llm_cache *c, const char *key, unsigned long max_wait_ms,
			 const volatile sig_atomic_t *cancel, int *first)
{
	uint64_t end = wfm_clock_mono_ms() + max_wait_ms;
	struct prefix *p;

	*first = 0;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		struct timespec until;

		p = find_prefix(c, key);
		if (!p) {
			WFM_ALLOC_GROW(c->prefixes, c->nr_prefixes + 1, c->alloc_prefixes);
			p = &c->prefixes[c->nr_prefixes++];
			memcpy(p->key, key, sizeof(p->key));
			p->warm = 0;
			*first = 1;
			break;
		}
		if (p->warm || (cancel && *cancel))
			break;
		if (wfm_clock_mono_ms() >= end)
			break; /* waited long enough: go, and maybe write it too */
		/* every 100 ms, to look at cancel */
		wfm_clock_deadline(&until, 100);
		pthread_cond_timedwait(&c->changed, &c->mu, &until);
	}
	pthread_mutex_unlock(&c->mu);
}

void wfm_llm_cache_leave(struct wfm_llm_cache *c, const char *key, int ok)
{
	struct prefix *p;

	pthread_mutex_lock(&c->mu);
	p = find_prefix(c, key);
	if (p && ok) {
		p->warm = 1;
	} else if (p) {
		/* not written: the next agent of the key goes first */
		*p = c->prefixes[--c->nr_prefixes];
	}
	pthread_cond_broadcast(&c->changed);
	pthread_mutex_unlock(&c->mu);
}

void wfm_llm_cache_key(char out[17], const char *const *parts, size_t n)
{
	uint64_t h = 14695981039346656037ULL; /* FNV-1a */

	for (size_t i = 0; i < n; i++) {
		for (const unsigned char *s = (const unsigned char *)parts[i]; *s; s++) {
			h ^= *s;
			h *= 1099511628211ULL;
		}
		h ^= 0xff; /* parts "ab","c" and "a","bc" differ */
		h *= 1099511628211ULL;
	}
	snprintf(out, 17, "%016llx", (unsigned long long)h);
}

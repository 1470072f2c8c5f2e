#ifndef WFM_AGENT_TRANSCRIPT_H
#define WFM_AGENT_TRANSCRIPT_H

/*
 * An agent's transcript: runs/<id>/agents/<key>-<n>.jsonl, one JSON
 * record a line (the request, each model call and tool call, the
 * result). Every line is redacted before it is written: the values of
 * the provider keys in our environment (ANTHROPIC_API_KEY,
 * OPENAI_API_KEY, every *_API_KEY, ...) become "[redacted]", wherever
 * they appear (a model that echoed one, a tool's output); each gets "ts"
 * (ms since the epoch) when it has none. A transcript
 * is a record for people, not part of the result: failing to write it
 * does not fail the agent.
 */
#include "base/json.h"

struct wfm_transcript {
	const char *path; /* borrowed; NULL: records are dropped */
	int fd;		  /* -1 until the first record */
};
#define WFM_TRANSCRIPT_INIT(path)                                                                  \
	{                                                                                          \
		(path), -1                                                                         \
	}

/* Appends record (consumed) as one line; the file and its directory are made at the first. */
void wfm_transcript_add(struct wfm_transcript *t, cJSON *record);
void wfm_transcript_close(struct wfm_transcript *t);

/* Replaces the values of provider keys found in our environment in s (a NUL-terminated buffer). */
struct wfm_buf;
void wfm_transcript_redact(struct wfm_buf *s);

#endif

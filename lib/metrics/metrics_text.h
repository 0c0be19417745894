/*
 * metrics_text — the Prometheus text exposition format (version 0.0.4, what
 * node_exporter's textfile collector reads), written into a memory buffer.
 *
 * A family is announced once (# HELP and # TYPE), then its samples follow,
 * all together, as the format demands.  Label values are escaped here
 * (backslash, double quote, newline), and since they may hold text a site
 * controls (an alert's file name or message), bytes that are not UTF-8 and
 * other control characters become '?', and a value is cut at
 * METRICS_LABEL_MAX bytes (at a character boundary).  Label names and metric
 * names are the caller's constants, not checked here.
 *
 * This file knows nothing of jobs or files on disk: see metrics.c.
 */
#ifndef LIFEBOAT_METRICS_TEXT_H
#define LIFEBOAT_METRICS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define METRICS_LABEL_MAX 256	/* bytes of a label value kept, before escaping */

struct mtext {
	FILE *fp;			/* open_memstream over buf */
	char *buf;			/* the text so far; owned, freed by mtext_close */
	size_t len;
	bool failed;			/* a write failed (out of memory) */
};

/* Opens an empty buffer.  Returns 0 or -ENOMEM. */
int mtext_open(struct mtext *t);
/* "# HELP NAME HELP" and "# TYPE NAME TYPE". */
void mtext_family(struct mtext *t, const char *name, const char *type, const char *help);
/* One sample: NAME{l1="v1",...} VALUE.  LABELS holds name, value pairs and
 * ends with NULL (a NULL value ends it too); NULL for none. */
void mtext_sample(struct mtext *t, const char *name, const char *const *labels, double value);
/* Ends the text.  Returns 0 and hands the buffer to *OUT (caller frees) and
 * its length to *LEN, or -ENOMEM (and frees it). */
int mtext_finish(struct mtext *t, char **out, size_t *len);
/* Frees a text that is not finished. */
void mtext_close(struct mtext *t);

/* Writes V escaped as a label value (without the quotes) into FP. */
void mtext_escape_label(FILE *fp, const char *v);

#endif

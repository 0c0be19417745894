/*
 * s3xml — the little XML an S3 server answers with, read without an XML
 * library: ListObjectsV2 (<Contents><Key>..</Key><Size>..</Size></Contents>,
 * <IsTruncated>, <NextContinuationToken>), InitiateMultipartUpload
 * (<UploadId>) and errors (<Code>, <Message>).
 *
 * The server's answer is hostile input: s3xml_find() looks for an exact
 * element <TAG>...</TAG> (no attributes, no nesting of the same tag) inside
 * [from, end), decodes the five named entities and numeric references
 * (refusing NUL and anything that is not a Unicode scalar value) and refuses
 * a '<' inside a text value, CDATA and unterminated elements.  It is not a
 * general XML parser and does not pretend to be.
 */
#ifndef LIFEBOAT_S3XML_H
#define LIFEBOAT_S3XML_H

#include <stddef.h>

/* Finds the first <TAG>..</TAG> in XML[from, end).  Returns 1 with *START
 * and *STOP (the element's inner text range) set, 0 when there is none, or
 * -EBADMSG for an opening tag that is never closed. */
int s3xml_element(const char *xml, size_t from, size_t end, const char *tag, size_t *start, size_t *stop);
/* The decoded text of the first <TAG> in XML[from, end) into *OUT
 * (malloc'd).  Returns 1, 0 (absent) or -EBADMSG (malformed, or markup
 * inside the value). */
int s3xml_text(const char *xml, size_t from, size_t end, const char *tag, char **out);

#endif

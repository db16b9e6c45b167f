#include "data/idx.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <zlib.h>

enum {
    IDX_MAGIC_IMAGES = 0x00000803,
    IDX_MAGIC_LABELS = 0x00000801,
    IDX_CHUNK_BYTES = 1 << 16,          /* compressed or raw bytes read from the file at once */
    IDX_FIRST_ALLOC_BYTES = 1 << 20,    /* the payload buffer starts here and doubles */
    IDX_MAX_READ_BYTES = 1 << 30,       /* one inflate call's output, well inside uInt */
    IDX_MAX_HEADER_BYTES = 16,
};

/* Trailing bytes are counted up to this many so that a message can say how many there are,
 * without decompressing an arbitrarily large tail. */
#define IDX_MAX_COUNTED_EXTRA_BYTES ((size_t)1 << 26)

/* What one kind of IDX file must look like. */
typedef struct idx_kind {
    uint32_t magic;
    const char *magic_meaning; /* shown next to the expected magic number */
    size_t dims;               /* header fields after the magic number */
    size_t item_bytes;         /* bytes per item of the payload */
    const char *item_noun;     /* "image" or "label" */
} idx_kind;

static const idx_kind IDX_IMAGES = {
    IDX_MAGIC_IMAGES, "unsigned-byte images, 3 dimensions", 3, PRISM_IMAGE_PIXELS, "image",
};

static const idx_kind IDX_LABELS = {
    IDX_MAGIC_LABELS, "unsigned-byte labels, 1 dimension", 1, 1, "label",
};

/* ---- Byte stream: a file's bytes, inflated when the file starts with the gzip magic ---- */

/* In raw mode the fields z.next_in and z.avail_in also serve as the read buffer's cursor, so
 * both modes share one buffer and one refill function; inflate is only called in gzip mode. */
typedef struct idx_stream {
    const char *path;
    FILE *file;
    bool gzip;
    bool inflate_ready;        /* inflateInit2 succeeded, so inflateEnd is owed */
    bool at_end;               /* the payload has ended cleanly: no more bytes will come */
    unsigned long long file_bytes_read;
    z_stream z;
    unsigned char in[IDX_CHUNK_BYTES];
} idx_stream;

/* Offset in the file of the next byte not yet consumed, for messages about compressed data. */
static unsigned long long stream_file_offset(const idx_stream *s)
{
    return s->file_bytes_read - s->z.avail_in;
}

/* Moves the unconsumed input to the front of the buffer and reads from the file until at least
 * `want` bytes are buffered or the file ends. A short count at the end is not an error. */
static int stream_fill(idx_stream *s, size_t want, prism_error *err)
{
    if (s->z.avail_in > 0 && s->z.next_in != s->in) {
        memmove(s->in, s->z.next_in, s->z.avail_in);
    }
    s->z.next_in = s->in;

    while (s->z.avail_in < want) {
        size_t got = fread(s->in + s->z.avail_in, 1, sizeof s->in - s->z.avail_in, s->file);
        s->z.avail_in += (uInt)got;
        s->file_bytes_read += got;
        if (got == 0) {
            if (ferror(s->file)) {
                return prism_error_set(err, "%s: read error after %llu bytes: %s", s->path,
                                       s->file_bytes_read, strerror(errno));
            }
            break;
        }
    }
    return 0;
}

static void stream_close(idx_stream *s)
{
    if (s == NULL) {
        return;
    }
    if (s->inflate_ready) {
        inflateEnd(&s->z);
    }
    if (s->file != NULL) {
        fclose(s->file);
    }
    free(s);
}

/* Opens a file and decides from its first two bytes whether it is gzip-compressed. */
static int stream_open(const char *path, idx_stream **out, prism_error *err)
{
    *out = NULL;
    idx_stream *s = calloc(1, sizeof *s);
    if (s == NULL) {
        return prism_error_set(err, "%s: out of memory opening the file", path);
    }
    s->path = path;

    s->file = fopen(path, "rb");
    if (s->file == NULL) {
        int saved_errno = errno;
        stream_close(s);
        return prism_error_set(err, "%s: cannot open: expected a readable IDX file, found \"%s\"",
                               path, strerror(saved_errno));
    }

    struct stat info;
    if (fstat(fileno(s->file), &info) != 0) {
        int saved_errno = errno;
        stream_close(s);
        return prism_error_set(err, "%s: cannot stat: %s", path, strerror(saved_errno));
    }
    if (S_ISDIR(info.st_mode)) {
        stream_close(s);
        return prism_error_set(err, "%s: expected an IDX file, found a folder", path);
    }

    s->z.next_in = s->in;
    if (stream_fill(s, 2, err) != 0) {
        stream_close(s);
        return -1;
    }
    s->gzip = s->z.avail_in >= 2 && s->in[0] == 0x1f && s->in[1] == 0x8b;

    if (s->gzip) {
        /* 16 + MAX_WBITS: a gzip wrapper is required, so a zlib or raw deflate stream fails. */
        int status = inflateInit2(&s->z, 16 + MAX_WBITS);
        if (status != Z_OK) {
            stream_close(s);
            return prism_error_set(err, "%s: cannot start gzip decompression (zlib status %d)",
                                   path, status);
        }
        s->inflate_ready = true;
    }
    *out = s;
    return 0;
}

/* Counts the file's bytes from the current position to its end, for the trailing-data message. */
static int stream_count_rest_of_file(idx_stream *s, unsigned long long *count, prism_error *err)
{
    *count = s->z.avail_in;
    s->z.avail_in = 0;
    while (true) {
        if (stream_fill(s, 1, err) != 0) {
            return -1;
        }
        if (s->z.avail_in == 0) {
            return 0;
        }
        *count += s->z.avail_in;
        s->z.avail_in = 0;
    }
}

/* Called when inflate reports the end of a gzip member. Another member may follow (concatenated
 * gzip files are valid gzip); anything else after the stream is an error, because zlib's gzread
 * would skip it silently and a damaged download can look exactly like that. */
static int stream_after_member(idx_stream *s, prism_error *err)
{
    if (stream_fill(s, 2, err) != 0) {
        return -1;
    }
    if (s->z.avail_in == 0) {
        s->at_end = true;
        return 0;
    }

    if (s->z.avail_in >= 2 && s->z.next_in[0] == 0x1f && s->z.next_in[1] == 0x8b) {
        inflateReset(&s->z);
        return 0;
    }

    unsigned long long end_offset = stream_file_offset(s);
    unsigned long long extra = 0;
    if (stream_count_rest_of_file(s, &extra, err) != 0) {
        return -1;
    }
    return prism_error_set(err, "%s: trailing data after the gzip stream: expected the file to "
                           "end at byte %llu where the gzip stream ends, found %llu more bytes",
                           s->path, end_offset, extra);
}

/* Inflates up to n bytes into buf; *got < n only once the payload has ended cleanly. */
static int stream_read_gzip(idx_stream *s, unsigned char *buf, size_t n, size_t *got,
                            prism_error *err)
{
    s->z.next_out = buf;
    s->z.avail_out = (uInt)n;

    while (s->z.avail_out > 0 && !s->at_end) {
        if (s->z.avail_in == 0) {
            if (stream_fill(s, 1, err) != 0) {
                return -1;
            }
            if (s->z.avail_in == 0) {
                return prism_error_set(err, "%s: truncated gzip stream: expected more compressed "
                                       "data and the gzip trailer, found the end of the file "
                                       "after %llu bytes", s->path, s->file_bytes_read);
            }
        }

        int status = inflate(&s->z, Z_NO_FLUSH);
        if (status == Z_STREAM_END) {
            if (stream_after_member(s, err) != 0) {
                return -1;
            }
            continue;
        }
        if (status == Z_OK) {
            continue;
        }
        if (status == Z_BUF_ERROR && s->z.avail_in == 0) {
            continue; /* no progress only because the input ran out; refill above */
        }
        if (status == Z_MEM_ERROR) {
            return prism_error_set(err, "%s: out of memory while decompressing", s->path);
        }
        /* Z_DATA_ERROR (bad deflate data, header or check value), Z_NEED_DICT (never valid
         * in gzip), and anything else zlib could report. */
        return prism_error_set(err, "%s: corrupt gzip data near byte %llu: expected a valid "
                               "gzip stream, found %s (zlib status %d)", s->path,
                               stream_file_offset(s),
                               s->z.msg != NULL ? s->z.msg : "invalid data", status);
    }

    *got = n - s->z.avail_out;
    return 0;
}

/* Copies up to n raw bytes into buf; *got < n only at the end of the file. */
static int stream_read_raw(idx_stream *s, unsigned char *buf, size_t n, size_t *got,
                           prism_error *err)
{
    size_t have = 0;
    while (have < n && !s->at_end) {
        if (s->z.avail_in == 0) {
            if (stream_fill(s, 1, err) != 0) {
                return -1;
            }
            if (s->z.avail_in == 0) {
                s->at_end = true;
                break;
            }
        }

        size_t take = n - have < s->z.avail_in ? n - have : s->z.avail_in;
        memcpy(buf + have, s->z.next_in, take);
        s->z.next_in += take;
        s->z.avail_in -= (uInt)take;
        have += take;
    }
    *got = have;
    return 0;
}

/* Reads up to n payload bytes; *got < n means the payload has ended (checked, for gzip). */
static int stream_read(idx_stream *s, unsigned char *buf, size_t n, size_t *got,
                       prism_error *err)
{
    *got = 0;
    while (*got < n && !s->at_end) {
        size_t want = n - *got;
        if (want > IDX_MAX_READ_BYTES) {
            want = IDX_MAX_READ_BYTES;
        }

        size_t chunk = 0;
        int status = s->gzip ? stream_read_gzip(s, buf + *got, want, &chunk, err)
                             : stream_read_raw(s, buf + *got, want, &chunk, err);
        if (status != 0) {
            return -1;
        }
        *got += chunk;
    }
    return 0;
}

/* ---- IDX structure ---- */

static uint32_t read_be32(const unsigned char *bytes)
{
    return ((uint32_t)bytes[0] << 24) | ((uint32_t)bytes[1] << 16) | ((uint32_t)bytes[2] << 8)
           | (uint32_t)bytes[3];
}

static const char *idx_type_name(unsigned type)
{
    switch (type) {
    case 0x08:
        return "unsigned-byte";
    case 0x09:
        return "signed-byte";
    case 0x0B:
        return "16-bit-integer";
    case 0x0C:
        return "32-bit-integer";
    case 0x0D:
        return "float";
    case 0x0E:
        return "double";
    default:
        return "unknown-type";
    }
}

/* Says in words what a magic number that was found means, to make a wrong-file error obvious. */
static void describe_magic(uint32_t magic, char *out, size_t out_bytes)
{
    if ((magic >> 16) == 0x1f8b) {
        snprintf(out, out_bytes, "the gzip signature again: was the file compressed twice?");
        return;
    }
    if ((magic >> 16) != 0) {
        snprintf(out, out_bytes, "not an IDX file: its first two bytes should be zero");
        return;
    }

    unsigned type = (magic >> 8) & 0xff;
    unsigned dims = magic & 0xff;
    const char *hint = "";
    if (magic == IDX_MAGIC_LABELS) {
        hint = ": a label file?";
    } else if (magic == IDX_MAGIC_IMAGES) {
        hint = ": an image file?";
    }
    snprintf(out, out_bytes, "%s, %u dimension%s%s", idx_type_name(type), dims,
             dims == 1 ? "" : "s", hint);
}

/* Reads and checks the header: magic number, item count, and for images 28x28. */
static int read_header(idx_stream *s, const idx_kind *kind, size_t *count, prism_error *err)
{
    unsigned char header[IDX_MAX_HEADER_BYTES];
    size_t header_bytes = 4 * (1 + kind->dims);
    const char *source = s->gzip ? "gzip content" : "file";

    size_t got = 0;
    if (stream_read(s, header, 4, &got, err) != 0) {
        return -1;
    }
    if (got == 0) {
        return prism_error_set(err, "%s: empty %s: expected an IDX header of %zu bytes, found "
                               "0 bytes", s->path, source, header_bytes);
    }
    if (got < 4) {
        return prism_error_set(err, "%s: %s too short: expected an IDX header of %zu bytes, "
                               "found %zu bytes", s->path, source, header_bytes, got);
    }

    uint32_t magic = read_be32(header);
    if (magic != kind->magic) {
        char meaning[128];
        describe_magic(magic, meaning, sizeof meaning);
        return prism_error_set(err, "%s: magic number: expected 0x%08x (%s), found 0x%08x (%s)",
                               s->path, (unsigned)kind->magic, kind->magic_meaning,
                               (unsigned)magic, meaning);
    }

    size_t rest = 0;
    if (stream_read(s, header + 4, header_bytes - 4, &rest, err) != 0) {
        return -1;
    }
    if (rest < header_bytes - 4) {
        return prism_error_set(err, "%s: %s too short: expected an IDX header of %zu bytes, "
                               "found %zu bytes", s->path, source, header_bytes, 4 + rest);
    }

    uint32_t items = read_be32(header + 4);
    if (items == 0) {
        return prism_error_set(err, "%s: %s count: expected at least 1, found 0", s->path,
                               kind->item_noun);
    }
    if (kind->dims == 3) {
        uint32_t rows = read_be32(header + 8);
        uint32_t cols = read_be32(header + 12);
        if (rows != PRISM_IMAGE_ROWS || cols != PRISM_IMAGE_COLS) {
            return prism_error_set(err, "%s: image size (rows x columns): expected %dx%d, "
                                   "found %" PRIu32 "x%" PRIu32, s->path, PRISM_IMAGE_ROWS,
                                   PRISM_IMAGE_COLS, rows, cols);
        }
    }
    if ((uintmax_t)items > SIZE_MAX / kind->item_bytes) {
        return prism_error_set(err, "%s: %s count: expected at most %zu on this machine, found "
                               "%" PRIu32 " (%zu bytes each would overflow size_t)", s->path,
                               kind->item_noun, SIZE_MAX / kind->item_bytes, items,
                               kind->item_bytes);
    }

    *count = items;
    return 0;
}

/* "3 images of 784 bytes" or "5 labels of one byte", for messages about the payload size. */
static void describe_items(const idx_kind *kind, size_t count, char *out, size_t out_bytes)
{
    const char *plural = count == 1 ? "" : "s";
    if (kind->item_bytes == 1) {
        snprintf(out, out_bytes, "%zu %s%s of one byte", count, kind->item_noun, plural);
    } else {
        snprintf(out, out_bytes, "%zu %s%s of %zu bytes", count, kind->item_noun, plural,
                 kind->item_bytes);
    }
}

/* Reads exactly `expected` payload bytes and then checks that the data ends there. The buffer
 * grows as bytes arrive, so a header that claims a huge count cannot force a huge allocation
 * before the data shows that it exists. */
static int read_payload(idx_stream *s, const idx_kind *kind, size_t count, uint8_t **out,
                        prism_error *err)
{
    size_t expected = count * kind->item_bytes;
    size_t capacity = expected < IDX_FIRST_ALLOC_BYTES ? expected : IDX_FIRST_ALLOC_BYTES;
    uint8_t *data = malloc(capacity);
    if (data == NULL) {
        return prism_error_set(err, "%s: out of memory for %zu bytes", s->path, capacity);
    }

    size_t have = 0;
    while (have < expected) {
        if (have == capacity) {
            size_t grown = capacity > expected / 2 ? expected : capacity * 2;
            uint8_t *bigger = realloc(data, grown);
            if (bigger == NULL) {
                free(data);
                return prism_error_set(err, "%s: out of memory for %zu bytes", s->path, grown);
            }
            data = bigger;
            capacity = grown;
        }

        size_t got = 0;
        if (stream_read(s, data + have, capacity - have, &got, err) != 0) {
            free(data);
            return -1;
        }
        have += got;
        if (s->at_end) {
            break;
        }
    }

    if (have < expected) {
        free(data);
        char items[96];
        describe_items(kind, count, items, sizeof items);
        return prism_error_set(err, "%s: truncated data: expected %zu bytes after the header "
                               "(%s), found %zu", s->path, expected, items, have);
    }

    /* Reading on also runs a gzip stream to its end, where its length and CRC are checked. */
    size_t extra = 0;
    unsigned char scratch[4096];
    while (extra < IDX_MAX_COUNTED_EXTRA_BYTES) {
        size_t got = 0;
        if (stream_read(s, scratch, sizeof scratch, &got, err) != 0) {
            free(data);
            return -1;
        }
        extra += got;
        if (got < sizeof scratch) {
            break;
        }
    }
    if (extra > 0) {
        free(data);
        char items[96];
        describe_items(kind, count, items, sizeof items);
        return prism_error_set(err, "%s: extra data: expected the data to end after %zu bytes "
                               "(%s), found %s%zu byte%s more", s->path, expected, items,
                               extra >= IDX_MAX_COUNTED_EXTRA_BYTES ? "at least " : "", extra,
                               extra == 1 ? "" : "s");
    }

    *out = data;
    return 0;
}

/* Opens, checks and reads one IDX file of the given kind; frees everything on failure. */
static int idx_read(const char *path, const idx_kind *kind, uint8_t **data, size_t *count,
                    prism_error *err)
{
    *data = NULL;
    *count = 0;

    idx_stream *s = NULL;
    if (stream_open(path, &s, err) != 0) {
        return -1;
    }

    size_t items = 0;
    uint8_t *payload = NULL;
    if (read_header(s, kind, &items, err) != 0
        || read_payload(s, kind, items, &payload, err) != 0) {
        stream_close(s);
        return -1;
    }
    stream_close(s);

    *data = payload;
    *count = items;
    return 0;
}

int prism_idx_read_images(const char *path, uint8_t **pixels, size_t *count, prism_error *err)
{
    return idx_read(path, &IDX_IMAGES, pixels, count, err);
}

int prism_idx_read_labels(const char *path, uint8_t **labels, size_t *count, prism_error *err)
{
    uint8_t *data = NULL;
    size_t items = 0;
    if (idx_read(path, &IDX_LABELS, &data, &items, err) != 0) {
        *labels = NULL;
        *count = 0;
        return -1;
    }

    for (size_t i = 0; i < items; i++) {
        if (data[i] >= PRISM_CLASS_COUNT) {
            unsigned found = data[i];
            free(data);
            *labels = NULL;
            *count = 0;
            return prism_error_set(err, "%s: label at index %zu: expected a class in 0..%d, "
                                   "found %u", path, i, PRISM_CLASS_COUNT - 1, found);
        }
    }

    *labels = data;
    *count = items;
    return 0;
}

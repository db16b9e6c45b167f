/* Tests of the data stage: the IDX reader on generated files (raw and gzip, good and broken in
 * every way the reader must notice), dataset location and loading on generated folders,
 * SHA-256, and the pixel normalisation's exact float32 values. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <zlib.h>

#include "core/build_info.h"
#include "data/dataset.h"
#include "data/idx.h"

enum {
    MAGIC_IMAGES = 0x00000803,
    MAGIC_LABELS = 0x00000801,
    IMAGE_HEADER_BYTES = 16,
    LABEL_HEADER_BYTES = 8,
};

/* A file's bytes under construction. */
typedef struct bytes {
    uint8_t *data;
    size_t size;
} bytes;

/* ---- Helpers: scratch paths, generated IDX content, writing files ---- */

/* Full path of a file in this test's scratch folder (created on first use). */
static void scratch_path(char out[PATH_MAX], const char *name)
{
    mkdir(PRISM_SCRATCH_DIR, 0755);
    mkdir(PRISM_SCRATCH_DIR "/idx", 0755);
    int n = snprintf(out, PATH_MAX, "%s/idx/%s", PRISM_SCRATCH_DIR, name);
    assert_true(n > 0 && n < PATH_MAX);
}

/* out = dir/name, failing the test if it does not fit. */
static void join_path(char out[PATH_MAX], const char *dir, const char *name)
{
    int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);
    assert_true(n > 0 && n < PATH_MAX);
}

static void put_be32(uint8_t *at, uint32_t value)
{
    at[0] = (uint8_t)(value >> 24);
    at[1] = (uint8_t)(value >> 16);
    at[2] = (uint8_t)(value >> 8);
    at[3] = (uint8_t)value;
}

/* The generated pixel at payload offset j (image j / 784, pixel j % 784). */
static uint8_t pixel_at(size_t j)
{
    return (uint8_t)(j * 7 + 3);
}

/* The generated label at index j. */
static uint8_t label_at(size_t j)
{
    return (uint8_t)((j * 3 + 1) % 10);
}

/* An image file: the given header fields, then payload_bytes generated pixels. */
static bytes make_images(uint32_t magic, uint32_t count, uint32_t rows, uint32_t cols,
                         size_t payload_bytes)
{
    bytes b = {malloc(IMAGE_HEADER_BYTES + payload_bytes), IMAGE_HEADER_BYTES + payload_bytes};
    assert_non_null(b.data);
    put_be32(b.data, magic);
    put_be32(b.data + 4, count);
    put_be32(b.data + 8, rows);
    put_be32(b.data + 12, cols);
    for (size_t j = 0; j < payload_bytes; j++) {
        b.data[IMAGE_HEADER_BYTES + j] = pixel_at(j);
    }
    return b;
}

/* A well-formed file of n 28x28 images. */
static bytes good_images(uint32_t n)
{
    return make_images(MAGIC_IMAGES, n, 28, 28, (size_t)n * PRISM_IMAGE_PIXELS);
}

/* A label file: the given header fields, then payload_bytes generated labels. */
static bytes make_labels(uint32_t magic, uint32_t count, size_t payload_bytes)
{
    bytes b = {malloc(LABEL_HEADER_BYTES + payload_bytes), LABEL_HEADER_BYTES + payload_bytes};
    assert_non_null(b.data);
    put_be32(b.data, magic);
    put_be32(b.data + 4, count);
    for (size_t j = 0; j < payload_bytes; j++) {
        b.data[LABEL_HEADER_BYTES + j] = label_at(j);
    }
    return b;
}

static bytes good_labels(uint32_t n)
{
    return make_labels(MAGIC_LABELS, n, n);
}

static void write_raw(const char *path, const void *data, size_t size)
{
    FILE *file = fopen(path, "wb");
    assert_non_null(file);
    if (size > 0) {
        assert_int_equal(fwrite(data, 1, size, file), size);
    }
    assert_int_equal(fclose(file), 0);
}

/* Writes data as one gzip member through zlib's own gzip writer. */
static void write_gzip(const char *path, const void *data, size_t size)
{
    gzFile gz = gzopen(path, "wb");
    assert_non_null(gz);
    assert_int_equal(gzwrite(gz, data, (unsigned)size), (int)size);
    assert_int_equal(gzclose(gz), Z_OK);
}

static bytes read_whole(const char *path)
{
    FILE *file = fopen(path, "rb");
    assert_non_null(file);
    assert_int_equal(fseek(file, 0, SEEK_END), 0);
    long size = ftell(file);
    assert_true(size >= 0);
    rewind(file);

    bytes b = {malloc((size_t)size + 1), (size_t)size};
    assert_non_null(b.data);
    assert_int_equal(fread(b.data, 1, b.size, file), b.size);
    fclose(file);
    return b;
}

/* Writes b to a scratch file, raw or gzip, frees b, and leaves the file's path in path. */
static void put_file(char path[PATH_MAX], const char *name, bytes b, int gzip)
{
    scratch_path(path, name);
    if (gzip) {
        write_gzip(path, b.data, b.size);
    } else {
        write_raw(path, b.data, b.size);
    }
    free(b.data);
}

/* Checks that a message names the file and says what was expected and what was found, plus
 * one detail specific to the failure. */
static void assert_message(const char *message, const char *path, const char *detail)
{
    if (strstr(message, path) == NULL || strstr(message, detail) == NULL) {
        fail_msg("message \"%s\" lacks \"%s\" or \"%s\"", message, path, detail);
    }
    if (strstr(message, "expected") == NULL || strstr(message, "found") == NULL) {
        fail_msg("message \"%s\" lacks \"expected\" or \"found\"", message);
    }
}

/* Reading images must fail; the message must name path and contain detail. */
static void expect_images_error(const char *path, const char *detail)
{
    prism_error err = {{0}};
    uint8_t *pixels = (uint8_t *)&err; /* must be reset to NULL on failure */
    size_t count = 99;
    assert_int_equal(prism_idx_read_images(path, &pixels, &count, &err), -1);
    assert_null(pixels);
    assert_int_equal(count, 0);
    assert_message(err.message, path, detail);
}

static void expect_labels_error(const char *path, const char *detail)
{
    prism_error err = {{0}};
    uint8_t *labels = (uint8_t *)&err;
    size_t count = 99;
    assert_int_equal(prism_idx_read_labels(path, &labels, &count, &err), -1);
    assert_null(labels);
    assert_int_equal(count, 0);
    assert_message(err.message, path, detail);
}

/* Reads images and checks count and every pixel against the generator. */
static void expect_images_ok(const char *path, size_t n)
{
    prism_error err = {{0}};
    uint8_t *pixels = NULL;
    size_t count = 0;
    if (prism_idx_read_images(path, &pixels, &count, &err) != 0) {
        fail_msg("unexpected error: %s", err.message);
    }
    assert_int_equal(count, n);
    for (size_t j = 0; j < n * PRISM_IMAGE_PIXELS; j++) {
        assert_int_equal(pixels[j], pixel_at(j));
    }
    free(pixels);
}

static void expect_labels_ok(const char *path, size_t n)
{
    prism_error err = {{0}};
    uint8_t *labels = NULL;
    size_t count = 0;
    if (prism_idx_read_labels(path, &labels, &count, &err) != 0) {
        fail_msg("unexpected error: %s", err.message);
    }
    assert_int_equal(count, n);
    for (size_t j = 0; j < n; j++) {
        assert_int_equal(labels[j], label_at(j));
    }
    free(labels);
}

/* ---- Good files ---- */

static void test_images_raw_and_gzip(void **state)
{
    (void)state;
    char path[PATH_MAX];

    put_file(path, "good-images-idx3-ubyte", good_images(3), 0);
    expect_images_ok(path, 3);

    put_file(path, "good-images-idx3-ubyte.gz", good_images(3), 1);
    expect_images_ok(path, 3);

    /* More than the reader's first 1 MiB allocation, so the buffer has to grow. */
    put_file(path, "many-images-idx3-ubyte.gz", good_images(1500), 1);
    expect_images_ok(path, 1500);
}

static void test_labels_raw_and_gzip(void **state)
{
    (void)state;
    char path[PATH_MAX];

    put_file(path, "good-labels-idx1-ubyte", good_labels(25), 0);
    expect_labels_ok(path, 25);

    put_file(path, "good-labels-idx1-ubyte.gz", good_labels(25), 1);
    expect_labels_ok(path, 25);
}

static void test_gzip_decided_by_content(void **state)
{
    (void)state;
    char path[PATH_MAX];

    /* gzip content under a plain name: only decompression gives back the right pixels. */
    put_file(path, "gzip-content-idx3-ubyte", good_images(2), 1);
    bytes on_disk = read_whole(path);
    assert_int_equal(on_disk.data[0], 0x1f);
    assert_int_equal(on_disk.data[1], 0x8b);
    free(on_disk.data);
    expect_images_ok(path, 2);

    /* Raw content under a .gz name. */
    put_file(path, "raw-content-idx3-ubyte.gz", good_images(2), 0);
    expect_images_ok(path, 2);

    put_file(path, "raw-content-idx1-ubyte.gz", good_labels(7), 0);
    expect_labels_ok(path, 7);
}

static void test_concatenated_gzip_members(void **state)
{
    (void)state;
    char path[PATH_MAX];
    char part[PATH_MAX];
    bytes whole = good_images(2);
    size_t split_at = 1000;

    /* gzip -d accepts several members one after the other; so must the reader. */
    scratch_path(part, "member-a.gz");
    write_gzip(part, whole.data, split_at);
    bytes a = read_whole(part);
    scratch_path(part, "member-b.gz");
    write_gzip(part, whole.data + split_at, whole.size - split_at);
    bytes b = read_whole(part);

    bytes joined = {malloc(a.size + b.size), a.size + b.size};
    assert_non_null(joined.data);
    memcpy(joined.data, a.data, a.size);
    memcpy(joined.data + a.size, b.data, b.size);
    put_file(path, "two-members-idx3-ubyte.gz", joined, 0);
    expect_images_ok(path, 2);

    free(a.data);
    free(b.data);
    free(whole.data);
}

/* ---- Header errors ---- */

static void test_wrong_magic(void **state)
{
    (void)state;
    char path[PATH_MAX];

    put_file(path, "labels-as-images", good_labels(3), 0);
    expect_images_error(path, "magic number: expected 0x00000803 (unsigned-byte images, 3 "
                              "dimensions), found 0x00000801");

    put_file(path, "images-as-labels.gz", good_images(1), 1);
    expect_labels_error(path, "magic number: expected 0x00000801");
    expect_labels_error(path, "found 0x00000803");

    put_file(path, "signed-byte-images", make_images(0x00000903, 1, 28, 28, 784), 0);
    expect_images_error(path, "found 0x00000903 (signed-byte");

    put_file(path, "not-idx-at-all", make_images(0x12345678, 1, 28, 28, 784), 0);
    expect_images_error(path, "found 0x12345678 (not an IDX file");
}

static void test_wrong_dimensions(void **state)
{
    (void)state;
    char path[PATH_MAX];

    put_file(path, "two-dim-images", make_images(0x00000802, 1, 28, 28, 784), 0);
    expect_images_error(path, "found 0x00000802 (unsigned-byte, 2 dimensions");

    put_file(path, "three-dim-labels", make_labels(0x00000803, 3, 3), 0);
    expect_labels_error(path, "expected 0x00000801 (unsigned-byte labels, 1 dimension)");
}

static void test_wrong_rows_or_cols(void **state)
{
    (void)state;
    char path[PATH_MAX];

    put_file(path, "rows-32", make_images(MAGIC_IMAGES, 1, 32, 28, 32 * 28), 0);
    expect_images_error(path, "image size (rows x columns): expected 28x28, found 32x28");

    put_file(path, "cols-27.gz", make_images(MAGIC_IMAGES, 1, 28, 27, 28 * 27), 1);
    expect_images_error(path, "expected 28x28, found 28x27");
}

static void test_empty_and_short_files(void **state)
{
    (void)state;
    char path[PATH_MAX];

    scratch_path(path, "empty-file");
    write_raw(path, "", 0);
    expect_images_error(path, "empty file: expected an IDX header of 16 bytes, found 0 bytes");
    expect_labels_error(path, "empty file: expected an IDX header of 8 bytes, found 0 bytes");

    scratch_path(path, "empty-gzip");
    write_gzip(path, "", 0);
    expect_images_error(path, "empty gzip content");

    bytes header = good_images(1);
    header.size = 10;
    put_file(path, "short-header", header, 0);
    expect_images_error(path, "file too short: expected an IDX header of 16 bytes, found 10");

    header = good_images(1);
    header.size = 2;
    put_file(path, "two-bytes", header, 0);
    expect_images_error(path, "expected an IDX header of 16 bytes, found 2 bytes");

    header = good_labels(1);
    header.size = 6;
    put_file(path, "short-labels.gz", header, 1);
    expect_labels_error(path, "gzip content too short: expected an IDX header of 8 bytes, "
                              "found 6");
}

static void test_zero_and_huge_counts(void **state)
{
    (void)state;
    char path[PATH_MAX];

    put_file(path, "zero-images", make_images(MAGIC_IMAGES, 0, 28, 28, 0), 0);
    expect_images_error(path, "image count: expected at least 1, found 0");

    /* A header that claims 2^32 - 1 images must not make the reader allocate terabytes. */
    put_file(path, "huge-count", make_images(MAGIC_IMAGES, UINT32_MAX, 28, 28, 784), 0);
    expect_images_error(path, "expected 3367254359280 bytes after the header "
                              "(4294967295 images of 784 bytes), found 784");
}

/* ---- Payload size errors ---- */

static void test_truncated_payload(void **state)
{
    (void)state;
    char path[PATH_MAX];

    put_file(path, "one-byte-short", make_images(MAGIC_IMAGES, 3, 28, 28, 3 * 784 - 1), 0);
    expect_images_error(path, "truncated data: expected 2352 bytes after the header (3 images "
                              "of 784 bytes), found 2351");

    put_file(path, "one-byte-short.gz", make_images(MAGIC_IMAGES, 3, 28, 28, 3 * 784 - 1), 1);
    expect_images_error(path, "expected 2352 bytes after the header (3 images of 784 bytes), "
                              "found 2351");

    put_file(path, "labels-short", make_labels(MAGIC_LABELS, 5, 4), 0);
    expect_labels_error(path, "expected 5 bytes after the header (5 labels of one byte), "
                              "found 4");
}

static void test_one_extra_byte(void **state)
{
    (void)state;
    char path[PATH_MAX];

    put_file(path, "one-byte-long", make_images(MAGIC_IMAGES, 3, 28, 28, 3 * 784 + 1), 0);
    expect_images_error(path, "extra data: expected the data to end after 2352 bytes (3 images "
                              "of 784 bytes), found 1 byte more");

    put_file(path, "one-byte-long.gz", make_images(MAGIC_IMAGES, 3, 28, 28, 3 * 784 + 1), 1);
    expect_images_error(path, "found 1 byte more");

    put_file(path, "labels-long.gz", make_labels(MAGIC_LABELS, 5, 9), 1);
    expect_labels_error(path, "expected the data to end after 5 bytes (5 labels of one byte), "
                              "found 4 bytes more");
}

/* ---- Damaged gzip streams ---- */

static void test_truncated_gzip(void **state)
{
    (void)state;
    char path[PATH_MAX];
    char good[PATH_MAX];
    put_file(good, "intact.gz", good_images(3), 1);
    bytes whole = read_whole(good);

    /* Cut in the middle of the deflate data. */
    scratch_path(path, "cut-in-half.gz");
    write_raw(path, whole.data, whole.size / 2);
    expect_images_error(path, "truncated gzip stream: expected more compressed data");

    /* Cut inside the 8-byte trailer: the payload is complete, only the end checks are gone. */
    scratch_path(path, "cut-trailer.gz");
    write_raw(path, whole.data, whole.size - 3);
    expect_images_error(path, "truncated gzip stream");

    free(whole.data);
}

static void test_corrupt_gzip(void **state)
{
    (void)state;
    char path[PATH_MAX];
    char good[PATH_MAX];
    put_file(good, "intact-for-crc.gz", good_images(3), 1);
    bytes whole = read_whole(good);

    /* The CRC-32 is the first half of the trailer; a wrong CRC means damaged content. */
    whole.data[whole.size - 8] ^= 0xff;
    scratch_path(path, "bad-crc.gz");
    write_raw(path, whole.data, whole.size);
    expect_images_error(path, "corrupt gzip data");
    expect_images_error(path, "incorrect data check");

    free(whole.data);
}

static void test_trailing_garbage_after_gzip(void **state)
{
    (void)state;
    char path[PATH_MAX];
    char good[PATH_MAX];
    put_file(good, "intact-for-tail.gz", good_images(2), 1);
    bytes whole = read_whole(good);
    size_t gzip_size = whole.size;

    uint8_t *longer = realloc(whole.data, gzip_size + 5);
    assert_non_null(longer);
    memcpy(longer + gzip_size, "junk!", 5);
    scratch_path(path, "trailing-junk.gz");
    write_raw(path, longer, gzip_size + 5);

    char detail[128];
    snprintf(detail, sizeof detail, "trailing data after the gzip stream: expected the file to "
             "end at byte %zu where the gzip stream ends, found 5 more bytes", gzip_size);
    expect_images_error(path, detail);

    free(longer);
}

/* ---- Labels and file-system errors ---- */

static void test_label_out_of_range(void **state)
{
    (void)state;
    char path[PATH_MAX];

    bytes b = good_labels(8);
    b.data[LABEL_HEADER_BYTES + 4] = 10;
    b.data[LABEL_HEADER_BYTES + 6] = 200;
    put_file(path, "label-ten", b, 0);
    expect_labels_error(path, "label at index 4: expected a class in 0..9, found 10");

    b = good_labels(8);
    b.data[LABEL_HEADER_BYTES + 7] = 255;
    put_file(path, "label-255.gz", b, 1);
    expect_labels_error(path, "label at index 7: expected a class in 0..9, found 255");
}

static void test_missing_file_and_folder(void **state)
{
    (void)state;
    char path[PATH_MAX];

    scratch_path(path, "does-not-exist-idx3-ubyte");
    remove(path);
    expect_images_error(path, "cannot open");
    expect_labels_error(path, strerror(ENOENT));

    scratch_path(path, "a-folder");
    mkdir(path, 0755);
    expect_labels_error(path, "expected an IDX file, found a folder");
}

/* ---- Datasets ---- */

/* Writes a dataset folder: n_train and n_test items; gzip_mask bit i compresses file i and
 * names_gz bit i gives it a .gz name. label_shortfall removes labels from the training file. */
static void make_dataset_dir(char dir[PATH_MAX], const char *name, uint32_t n_train,
                             uint32_t n_test, unsigned gzip_mask, unsigned names_gz,
                             uint32_t label_shortfall)
{
    static const char *const files[4] = {
        "train-images-idx3-ubyte", "train-labels-idx1-ubyte",
        "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte",
    };
    scratch_path(dir, name);
    mkdir(dir, 0755);

    bytes contents[4] = {
        good_images(n_train), good_labels(n_train - label_shortfall),
        good_images(n_test), good_labels(n_test),
    };
    for (unsigned i = 0; i < 4; i++) {
        char path[PATH_MAX];
        char other[PATH_MAX];
        char plain[PATH_MAX];
        char gz[PATH_MAX];
        join_path(plain, dir, files[i]);
        assert_true(snprintf(gz, sizeof gz, "%s.gz", plain) < PATH_MAX);
        int use_gz_name = (names_gz >> i) & 1;
        memcpy(path, use_gz_name ? gz : plain, PATH_MAX);
        memcpy(other, use_gz_name ? plain : gz, PATH_MAX);
        remove(other); /* leave no file of the other name behind from an earlier run */
        if ((gzip_mask >> i) & 1) {
            write_gzip(path, contents[i].data, contents[i].size);
        } else {
            write_raw(path, contents[i].data, contents[i].size);
        }
        free(contents[i].data);
    }
}

static void assert_split(const prism_split *split, size_t n)
{
    assert_int_equal(split->count, n);
    assert_non_null(split->pixels);
    assert_non_null(split->labels);
    for (size_t j = 0; j < n * PRISM_IMAGE_PIXELS; j++) {
        assert_int_equal(split->pixels[j], pixel_at(j));
    }
    for (size_t j = 0; j < n; j++) {
        assert_int_equal(split->labels[j], label_at(j));
    }
}

static void test_dataset_load_raw_with_checksums(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    make_dataset_dir(dir, "dataset-raw", 3, 2, 0x0, 0x0, 0);

    prism_dataset ds;
    prism_error err = {{0}};
    if (prism_dataset_load(dir, &ds, &err) != 0) {
        fail_msg("unexpected error: %s", err.message);
    }
    assert_string_equal(ds.dir, dir);
    assert_split(&ds.train, 3);
    assert_split(&ds.test, 2);

    /* Digests of the generated bytes, computed independently with Python's hashlib. */
    assert_string_equal(ds.file_sha256[0],
                        "a2a5ca4c0ce2c40a0ee2fb36ea949600151b6d90e25df5512d6d4fd097eb84d5");
    assert_string_equal(ds.file_sha256[1],
                        "21861b407372356b807a962ce2f71e8c76699d7276c8ed1e461aee1b42b75a43");
    assert_string_equal(ds.file_sha256[2],
                        "42ddb66166500f1d33f60350f90dcc589b2ba657bb8007a980a82b670340fad6");
    assert_string_equal(ds.file_sha256[3],
                        "0a2ca5e3489ec1bfe7a5ea8e98184d3c37117ec8ec9e4a1c9afdd67f23af065b");

    char expected_path[PATH_MAX];
    join_path(expected_path, dir, "t10k-labels-idx1-ubyte");
    assert_string_equal(ds.file_paths[3], expected_path);
    prism_dataset_free(&ds);
    assert_null(ds.train.pixels);
    assert_int_equal(ds.test.count, 0);
}

static void test_dataset_load_gzip_names_mixed(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    /* Files 0 and 2 gzip under .gz names, file 1 gzip under a plain name, file 3 raw as .gz. */
    make_dataset_dir(dir, "dataset-mixed", 4, 3, 0x7, 0xD, 0);

    prism_dataset ds;
    prism_error err = {{0}};
    if (prism_dataset_load(dir, &ds, &err) != 0) {
        fail_msg("unexpected error: %s", err.message);
    }
    assert_split(&ds.train, 4);
    assert_split(&ds.test, 3);

    char expected_path[PATH_MAX];
    join_path(expected_path, dir, "train-images-idx3-ubyte.gz");
    assert_string_equal(ds.file_paths[0], expected_path);
    for (int i = 0; i < PRISM_DATASET_FILES; i++) {
        assert_int_equal(strlen(ds.file_sha256[i]), 64);
        assert_int_equal(strspn(ds.file_sha256[i], "0123456789abcdef"), 64);
    }
    prism_dataset_free(&ds);
}

static void test_dataset_count_mismatch(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    make_dataset_dir(dir, "dataset-mismatch", 3, 2, 0x0, 0x0, 1);

    prism_dataset ds;
    prism_error err = {{0}};
    assert_int_equal(prism_dataset_load(dir, &ds, &err), -1);
    assert_null(ds.train.pixels);
    assert_null(ds.train.labels);

    char images[PATH_MAX];
    char labels[PATH_MAX];
    join_path(images, dir, "train-images-idx3-ubyte");
    join_path(labels, dir, "train-labels-idx1-ubyte");
    assert_message(err.message, images, "label count: expected 3 (the number of images in");
    assert_message(err.message, labels, "found 2");
}

static void test_dataset_folder_errors(void **state)
{
    (void)state;
    char dir[PATH_MAX];
    char path[PATH_MAX];
    prism_dataset ds;
    prism_error err = {{0}};

    make_dataset_dir(dir, "dataset-incomplete", 2, 2, 0x0, 0x0, 0);
    join_path(path, dir, "t10k-labels-idx1-ubyte");
    assert_int_equal(remove(path), 0);
    assert_int_equal(prism_dataset_load(dir, &ds, &err), -1);
    assert_message(err.message, dir, "found 3 of them; missing: t10k-labels-idx1-ubyte[.gz]");

    assert_int_equal(prism_dataset_locate("no-such-dataset-xyz", &ds, &err), -1);
    assert_non_null(strstr(err.message, "'no-such-dataset-xyz' is neither a known dataset name "
                                        "(mnist, fashion-mnist) nor a folder"));

    /* A bad file inside a good folder: the reader's message comes through. */
    make_dataset_dir(dir, "dataset-bad-label", 2, 2, 0x0, 0x0, 0);
    join_path(path, dir, "t10k-labels-idx1-ubyte");
    bytes b = good_labels(2);
    b.data[LABEL_HEADER_BYTES + 1] = 10;
    write_raw(path, b.data, b.size);
    free(b.data);
    assert_int_equal(prism_dataset_load(dir, &ds, &err), -1);
    assert_message(err.message, path, "label at index 1: expected a class in 0..9, found 10");
    assert_null(ds.train.pixels);
    assert_null(ds.test.pixels);
}

/* True when the build's default folder or the system folder would supply the dataset. */
static int installed_elsewhere(const char *name, const char *system_dir)
{
    char dir[PATH_MAX];
    join_path(dir, PRISM_DEFAULT_DATA_DIR, name);
    prism_dataset ds;
    prism_error err;
    int found = prism_dataset_locate(dir, &ds, &err) == 0
                || (system_dir != NULL && prism_dataset_locate(system_dir, &ds, &err) == 0);
    return found;
}

static void test_dataset_names(void **state)
{
    (void)state;
    char root[PATH_MAX];
    char dir[PATH_MAX];
    prism_dataset ds;
    prism_error err = {{0}};

    scratch_path(root, "data-root");
    mkdir(root, 0755);
    make_dataset_dir(dir, "data-root/mnist", 2, 1, 0x0, 0x0, 0);

    setenv("PRISM_DATA_DIR", root, 1);
    if (prism_dataset_locate("mnist", &ds, &err) != 0) {
        fail_msg("unexpected error: %s", err.message);
    }
    assert_string_equal(ds.dir, dir);
    assert_string_equal(ds.name, "mnist");

    /* No fashion-mnist under $PRISM_DATA_DIR: found elsewhere, or an error naming every
     * place tried and how to install it. */
    int elsewhere = installed_elsewhere("fashion-mnist", "/usr/share/datasets/fashion-mnist");
    setenv("PRISM_DATA_DIR", root, 1);
    int status = prism_dataset_locate("fashion-mnist", &ds, &err);
    if (elsewhere) {
        assert_int_equal(status, 0);
    } else {
        char tried[PATH_MAX];
        join_path(tried, root, "fashion-mnist (no such folder)");
        assert_int_equal(status, -1);
        assert_non_null(strstr(err.message, tried));
        assert_non_null(strstr(err.message, PRISM_DEFAULT_DATA_DIR "/fashion-mnist"));
        assert_non_null(strstr(err.message, "/usr/share/datasets/fashion-mnist"));
        assert_non_null(strstr(err.message, "apt-get install dataset-fashion-mnist"));
    }

    /* An incomplete mnist under $PRISM_DATA_DIR is reported as such. */
    elsewhere = installed_elsewhere("mnist", NULL);
    join_path(dir, root, "mnist/train-labels-idx1-ubyte");
    assert_int_equal(remove(dir), 0);
    setenv("PRISM_DATA_DIR", root, 1);
    status = prism_dataset_locate("mnist", &ds, &err);
    if (elsewhere) {
        assert_int_equal(status, 0);
    } else {
        assert_int_equal(status, -1);
        assert_non_null(strstr(err.message, "lacks train-labels-idx1-ubyte[.gz]"));
        assert_non_null(strstr(err.message, "run scripts/setup.sh to download MNIST"));
    }
    unsetenv("PRISM_DATA_DIR");
}

/* ---- Checksums and normalisation ---- */

static void test_sha256(void **state)
{
    (void)state;
    char path[PATH_MAX];
    char hex[65];
    prism_error err = {{0}};

    scratch_path(path, "abc.txt");
    write_raw(path, "abc", 3);
    assert_int_equal(prism_file_sha256(path, hex, &err), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    scratch_path(path, "nothing.txt");
    write_raw(path, "", 0);
    assert_int_equal(prism_file_sha256(path, hex, &err), 0);
    assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    scratch_path(path, "absent.txt");
    remove(path);
    assert_int_equal(prism_file_sha256(path, hex, &err), -1);
    assert_non_null(strstr(err.message, path));
    assert_non_null(strstr(err.message, strerror(ENOENT)));
}

static uint32_t float_bits(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

static void test_pixel_normalise_exact(void **state)
{
    (void)state;
    /* float32 results of ToTensor + Normalize((0.5,), (0.5,)), each step rounded to float32
     * (computed outside C). Note 127 and 128 are not mirror images of each other: a
     * formula evaluated in double, or as p / 127.5 - 1, gives different bits. */
    static const struct {
        uint8_t pixel;
        float value;
    } cases[] = {
        {0, -0x1p+0f}, {1, -0x1.fbfbfcp-1f}, {127, -0x1.0101p-8f}, {128, 0x1.0102p-8f},
        {255, 0x1p+0f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        volatile float x = (float)cases[i].pixel / 255.0f;
        float stepwise = (x - 0.5f) / 0.5f;
        float got = prism_pixel_normalise(cases[i].pixel);
        assert_int_equal(float_bits(got), float_bits(cases[i].value));
        assert_int_equal(float_bits(got), float_bits(stepwise));
    }

    uint8_t pixels[256 + 3];
    float out[256 + 3];
    for (int p = 0; p < 256 + 3; p++) {
        pixels[p] = (uint8_t)(255 - p % 256);
    }
    prism_pixels_normalise(pixels, 256 + 3, out);
    for (int p = 0; p < 256 + 3; p++) {
        assert_int_equal(float_bits(out[p]), float_bits(prism_pixel_normalise(pixels[p])));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_images_raw_and_gzip),
        cmocka_unit_test(test_labels_raw_and_gzip),
        cmocka_unit_test(test_gzip_decided_by_content),
        cmocka_unit_test(test_concatenated_gzip_members),
        cmocka_unit_test(test_wrong_magic),
        cmocka_unit_test(test_wrong_dimensions),
        cmocka_unit_test(test_wrong_rows_or_cols),
        cmocka_unit_test(test_empty_and_short_files),
        cmocka_unit_test(test_zero_and_huge_counts),
        cmocka_unit_test(test_truncated_payload),
        cmocka_unit_test(test_one_extra_byte),
        cmocka_unit_test(test_truncated_gzip),
        cmocka_unit_test(test_corrupt_gzip),
        cmocka_unit_test(test_trailing_garbage_after_gzip),
        cmocka_unit_test(test_label_out_of_range),
        cmocka_unit_test(test_missing_file_and_folder),
        cmocka_unit_test(test_dataset_load_raw_with_checksums),
        cmocka_unit_test(test_dataset_load_gzip_names_mixed),
        cmocka_unit_test(test_dataset_count_mismatch),
        cmocka_unit_test(test_dataset_folder_errors),
        cmocka_unit_test(test_dataset_names),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_pixel_normalise_exact),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

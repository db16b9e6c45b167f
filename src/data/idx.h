/* Reader for the IDX files that MNIST-style datasets ship in, raw or gzip-compressed. Gzip is
 * recognised by the file's first two bytes (1f 8b), never by its name. Every structural fact is
 * checked: magic number, element type, number of dimensions, image size, and that the payload
 * holds exactly as many bytes as the header implies (a gzip stream is read to its checked end). */
#ifndef PRISM_DATA_IDX_H
#define PRISM_DATA_IDX_H

#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

#define PRISM_IMAGE_ROWS 28
#define PRISM_IMAGE_COLS 28
#define PRISM_IMAGE_PIXELS (PRISM_IMAGE_ROWS * PRISM_IMAGE_COLS)
#define PRISM_CLASS_COUNT 10

/* Reads an idx3-ubyte file of 28x28 images. On success *pixels holds count * 784 bytes
 * (row-major, one image after another) owned by the caller (free()). */
int prism_idx_read_images(const char *path, uint8_t **pixels, size_t *count, prism_error *err);

/* Reads an idx1-ubyte label file; every label must be in 0..9. *labels is caller-owned. */
int prism_idx_read_labels(const char *path, uint8_t **labels, size_t *count, prism_error *err);

#endif

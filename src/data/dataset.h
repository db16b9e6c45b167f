/* A dataset: the four IDX files of an MNIST-style collection, loaded and checked, with the
 * SHA-256 of each file as it lies on disk so that every result can name its exact data. */
#ifndef PRISM_DATA_DATASET_H
#define PRISM_DATA_DATASET_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

typedef struct prism_split {
    uint8_t *pixels; /* count x 784 bytes */
    uint8_t *labels; /* count labels in 0..9 */
    size_t count;
} prism_split;

enum { PRISM_DATASET_FILES = 4 };

typedef struct prism_dataset {
    char name[64];             /* "mnist", "fashion-mnist", or the folder as given */
    char dir[PATH_MAX];        /* folder the files were read from */
    prism_split train;
    prism_split test;
    /* Order: train images, train labels, test images, test labels. */
    char file_paths[PRISM_DATASET_FILES][PATH_MAX];
    char file_sha256[PRISM_DATASET_FILES][65]; /* lower-case hex */
} prism_dataset;

/* Finds the folder for a dataset name or path without reading it. Names: "mnist" and
 * "fashion-mnist" are looked up in $PRISM_DATA_DIR/<name>, then the build's default data
 * folder, then the system location (/usr/share/datasets/fashion-mnist for Fashion-MNIST);
 * anything else is taken as a folder path. In a folder each file may be named with or without
 * a ".gz" suffix (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz],
 * t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]). */
int prism_dataset_locate(const char *name_or_dir, prism_dataset *dataset, prism_error *err);

/* Locates and loads all four files; checks that label and image counts match per split. */
int prism_dataset_load(const char *name_or_dir, prism_dataset *dataset, prism_error *err);

void prism_dataset_free(prism_dataset *dataset);

/* SHA-256 of a file's bytes as lower-case hex (65 bytes with the terminator). */
int prism_file_sha256(const char *path, char hex[65], prism_error *err);

/* The article's (and torchvision's) pixel normalisation, (p / 255 - 0.5) / 0.5 evaluated in
 * float32 step by step, so that each value is bit-identical to ToTensor + Normalize(0.5, 0.5). */
float prism_pixel_normalise(uint8_t pixel);

/* Converts n pixels to normalised floats through a 256-entry table of the values above. */
void prism_pixels_normalise(const uint8_t *pixels, size_t n, float *out);

#endif

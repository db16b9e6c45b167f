/* A dataset: the four IDX files of an MNIST-style collection, loaded and checked, with the
 * SHA-256 of each file as it lies on disk so that every result can name its exact data. */
#ifndef PRISM_DATA_DATASET_H
#define PRISM_DATA_DATASET_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"

/* Pixels are also seen in groups of 16 in a row (49 groups in a 28x28 image). Training reads
 * each training image as its groups that hold a non-zero pixel, about 60 % of an MNIST image:
 * with the normalisation folded into the first layer, the others add nothing (see
 * model/kernels.h). */
enum { PRISM_PIXEL_GROUP = 16, PRISM_PIXEL_GROUPS_MAX = 64 /* bits of an image's mask */ };

typedef struct prism_split {
    uint8_t *pixels; /* count x 784 bytes */
    uint8_t *labels; /* count labels in 0..9 */
    size_t count;

    /* The images packed by prism_split_pack (NULL before): */
    uint64_t *group_masks; /* per image, bit g set when pixels 16 g .. 16 g + 15 are not all 0 */
    uint32_t *first_group; /* per image, where its groups start in `packed`, in groups */
    uint8_t *packed;       /* each image's non-zero groups in order, 16 bytes each */
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

/* Fills the packed form of split->pixels (allocated here, in large pages where the system
 * allows; freed by prism_split_free_packed or with the dataset). prism_dataset_load packs the
 * training split. */
int prism_split_pack(prism_split *split, prism_error *err);
void prism_split_free_packed(prism_split *split);

/* SHA-256 of a file's bytes as lower-case hex (65 bytes with the terminator). */
int prism_file_sha256(const char *path, char hex[65], prism_error *err);

/* The article's (and torchvision's) pixel normalisation, (p / 255 - 0.5) / 0.5 evaluated in
 * float32 step by step, so that each value is bit-identical to ToTensor + Normalize(0.5, 0.5). */
float prism_pixel_normalise(uint8_t pixel);

/* Converts n pixels to normalised floats through a 256-entry table of the values above. */
void prism_pixels_normalise(const uint8_t *pixels, size_t n, float *out);

#endif

/* A dataset: the four IDX files of an MNIST-style collection, loaded and checked, with the
 * SHA-256 of each file as it lies on disk so that every result can name its exact data. */
#ifndef PRISM_DATA_DATASET_H
#define PRISM_DATA_DATASET_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "data/idx.h"

/* Pixels are also seen in groups of 16: the 4 x 4 tiles of the image, 49 in a 28 x 28 image, in
 * rows of tiles, and each tile's pixels row by row. Training reads each training image as its
 * tiles that hold a non-zero pixel, about 38 % of an MNIST image: with the normalisation folded
 * into the first layer, the others add nothing (see model/kernels.h). Tiles hold fewer of an
 * image's zeros than 16 pixels in a row do (18.5 non-zero tiles per MNIST image against 28.6
 * such rows of 16). */
enum {
    PRISM_PIXEL_GROUP = 16,
    PRISM_PIXEL_TILE_SIDE = 4,
    PRISM_PIXEL_GROUPS_MAX = 64 /* bits of an image's mask */
};

typedef struct prism_split {
    uint8_t *pixels; /* count x 784 bytes */
    uint8_t *labels; /* count labels in 0..9 */
    size_t count;

    /* The images packed by prism_split_pack (NULL before): */
    uint64_t *group_masks; /* per image, bit g set when tile g holds a pixel that is not 0 */
    uint32_t *first_group; /* per image, where its tiles start in `packed`, in groups */
    uint8_t *packed;       /* each image's non-zero tiles in order, 16 bytes each */
    size_t packed_groups;  /* how many tiles `packed` holds, all images together */
    uint16_t *group_pixels; /* [784]: the pixel (row * 28 + column) at each packed position
                             * 16 g + l, lane l of tile g (prism_pixel_tile_order) */
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

/* order[16 g + l] = the pixel at lane l of tile g: tile g covers rows 4 (g / 7) .. + 3 and
 * columns 4 (g % 7) .. + 3, lane l its row l / 4 and column l % 4. */
void prism_pixel_tile_order(uint16_t order[PRISM_IMAGE_PIXELS]);

/* SHA-256 of a file's bytes as lower-case hex (65 bytes with the terminator). */
int prism_file_sha256(const char *path, char hex[65], prism_error *err);

/* The article's (and torchvision's) pixel normalisation, (p / 255 - 0.5) / 0.5 evaluated in
 * float32 step by step, so that each value is bit-identical to ToTensor + Normalize(0.5, 0.5). */
float prism_pixel_normalise(uint8_t pixel);

/* Converts n pixels to normalised floats through a 256-entry table of the values above. */
void prism_pixels_normalise(const uint8_t *pixels, size_t n, float *out);

#endif

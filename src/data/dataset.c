#include "data/dataset.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <openssl/evp.h>

#include "core/build_info.h"
#include "data/idx.h"

/* File names inside a dataset folder, in the order of prism_dataset.file_paths. */
static const char *const DATASET_FILE_NAMES[PRISM_DATASET_FILES] = {
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
};

/* The named datasets prism knows, where the system keeps them, and how a user gets them. */
typedef struct known_dataset {
    const char *name;
    const char *system_dir; /* NULL when no package installs it */
    const char *how_to_get;
} known_dataset;

static const known_dataset KNOWN_DATASETS[] = {
    {"mnist", NULL, "run scripts/setup.sh to download MNIST"},
    {"fashion-mnist", "/usr/share/datasets/fashion-mnist",
     "install Fashion-MNIST with: apt-get install dataset-fashion-mnist"},
};

enum { TRIED_TEXT_BYTES = 2048, SHA256_CHUNK_BYTES = 1 << 16 };

/* ---- Locating the files ---- */

static bool path_is_dir(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISDIR(info.st_mode);
}

static bool path_is_file(const char *path)
{
    struct stat info;
    return stat(path, &info) == 0 && S_ISREG(info.st_mode);
}

/* Appends formatted text to a bounded buffer; text beyond the end is dropped. */
__attribute__((format(printf, 3, 4)))
static void text_append(char *text, size_t text_bytes, const char *fmt, ...)
{
    size_t used = strlen(text);
    if (used + 1 >= text_bytes) {
        return;
    }
    va_list args;
    va_start(args, fmt);
    vsnprintf(text + used, text_bytes - used, fmt, args);
    va_end(args);
}

/* Looks for the four files in dir, each as NAME or NAME.gz (the uncompressed name first). Fills
 * paths and returns how many were found; `missing` lists the names that were not. */
static int find_dataset_files(const char *dir, char paths[PRISM_DATASET_FILES][PATH_MAX],
                              char *missing, size_t missing_bytes)
{
    int found = 0;
    missing[0] = '\0';

    for (int i = 0; i < PRISM_DATASET_FILES; i++) {
        static const char *const suffixes[] = {"", ".gz"};
        bool present = false;
        for (size_t k = 0; k < 2 && !present; k++) {
            int n = snprintf(paths[i], PATH_MAX, "%s/%s%s", dir, DATASET_FILE_NAMES[i],
                             suffixes[k]);
            present = n > 0 && n < PATH_MAX && path_is_file(paths[i]);
        }

        if (present) {
            found++;
        } else {
            paths[i][0] = '\0';
            text_append(missing, missing_bytes, "%s%s[.gz]", missing[0] != '\0' ? ", " : "",
                        DATASET_FILE_NAMES[i]);
        }
    }
    return found;
}

/* Records a folder whose four files are all present as the dataset's location. */
static int use_dataset_dir(prism_dataset *dataset, const char *dir,
                           char paths[PRISM_DATASET_FILES][PATH_MAX], prism_error *err)
{
    int n = snprintf(dataset->dir, sizeof dataset->dir, "%s", dir);
    if (n < 0 || (size_t)n >= sizeof dataset->dir) {
        return prism_error_set(err, "%s: folder path too long: expected under %d bytes", dir,
                               PATH_MAX);
    }
    memcpy(dataset->file_paths, paths, sizeof dataset->file_paths);
    return 0;
}

/* Tries one candidate folder of a named dataset; returns true when all four files are there,
 * and otherwise appends what was wrong with it to the list of places tried. */
static bool try_candidate(const char *label, const char *dir,
                          char paths[PRISM_DATASET_FILES][PATH_MAX], char *tried,
                          size_t tried_bytes)
{
    char place[PATH_MAX + 64];
    snprintf(place, sizeof place, "%s%s", label, dir);
    text_append(tried, tried_bytes, "%s%s", tried[0] != '\0' ? "; " : "", place);

    if (!path_is_dir(dir)) {
        text_append(tried, tried_bytes, " (no such folder)");
        return false;
    }

    char missing[256];
    if (find_dataset_files(dir, paths, missing, sizeof missing) == PRISM_DATASET_FILES) {
        return true;
    }
    text_append(tried, tried_bytes, " (folder lacks %s)", missing);
    return false;
}

/* Resolves a known dataset name through $PRISM_DATA_DIR, the build's default folder and the
 * system folder, in that order; the first folder that holds all four files wins. */
static int locate_known(const known_dataset *known, prism_dataset *dataset, prism_error *err)
{
    char paths[PRISM_DATASET_FILES][PATH_MAX];
    char tried[TRIED_TEXT_BYTES] = "";
    char dir[PATH_MAX];

    const char *env_dir = getenv("PRISM_DATA_DIR");
    if (env_dir != NULL && env_dir[0] != '\0') {
        int n = snprintf(dir, sizeof dir, "%s/%s", env_dir, known->name);
        if (n > 0 && n < PATH_MAX) {
            if (try_candidate("$PRISM_DATA_DIR/<name> = ", dir, paths, tried, sizeof tried)) {
                return use_dataset_dir(dataset, dir, paths, err);
            }
        } else {
            text_append(tried, sizeof tried, "$PRISM_DATA_DIR/%s (path too long)", known->name);
        }
    } else {
        text_append(tried, sizeof tried, "$PRISM_DATA_DIR (not set)");
    }

    int n = snprintf(dir, sizeof dir, "%s/%s", PRISM_DEFAULT_DATA_DIR, known->name);
    if (n > 0 && n < PATH_MAX && try_candidate("", dir, paths, tried, sizeof tried)) {
        return use_dataset_dir(dataset, dir, paths, err);
    }

    if (known->system_dir != NULL
        && try_candidate("", known->system_dir, paths, tried, sizeof tried)) {
        return use_dataset_dir(dataset, known->system_dir, paths, err);
    }

    return prism_error_set(err, "dataset '%s' not found: expected its four IDX files (%s, %s, "
                           "%s, %s, each optionally .gz) in one of the places tried, found "
                           "them in none: %s. To get it: %s; or set PRISM_DATA_DIR to a folder "
                           "holding %s/; or give the dataset folder's path instead of a name",
                           known->name, DATASET_FILE_NAMES[0], DATASET_FILE_NAMES[1],
                           DATASET_FILE_NAMES[2], DATASET_FILE_NAMES[3], tried,
                           known->how_to_get, known->name);
}

/* Resolves a folder given by path; all four files must be in it. */
static int locate_folder(const char *dir, prism_dataset *dataset, prism_error *err)
{
    struct stat info;
    if (stat(dir, &info) != 0) {
        return prism_error_set(err, "'%s' is neither a known dataset name (mnist, "
                               "fashion-mnist) nor a folder: %s", dir, strerror(errno));
    }
    if (!S_ISDIR(info.st_mode)) {
        return prism_error_set(err, "'%s' is neither a known dataset name (mnist, "
                               "fashion-mnist) nor a folder: expected a folder holding the "
                               "four IDX files, found a file", dir);
    }

    char paths[PRISM_DATASET_FILES][PATH_MAX];
    char missing[256];
    int found = find_dataset_files(dir, paths, missing, sizeof missing);
    if (found != PRISM_DATASET_FILES) {
        return prism_error_set(err, "dataset folder %s: expected the four IDX files %s, %s, "
                               "%s, %s (each with or without .gz), found %d of them; missing: "
                               "%s", dir, DATASET_FILE_NAMES[0], DATASET_FILE_NAMES[1],
                               DATASET_FILE_NAMES[2], DATASET_FILE_NAMES[3], found, missing);
    }
    return use_dataset_dir(dataset, dir, paths, err);
}

int prism_dataset_locate(const char *name_or_dir, prism_dataset *dataset, prism_error *err)
{
    memset(dataset, 0, sizeof *dataset);
    if (name_or_dir == NULL || name_or_dir[0] == '\0') {
        return prism_error_set(err, "dataset: expected a name (mnist, fashion-mnist) or a "
                               "folder, found an empty string");
    }
    snprintf(dataset->name, sizeof dataset->name, "%s", name_or_dir);

    for (size_t i = 0; i < sizeof KNOWN_DATASETS / sizeof KNOWN_DATASETS[0]; i++) {
        if (strcmp(name_or_dir, KNOWN_DATASETS[i].name) == 0) {
            return locate_known(&KNOWN_DATASETS[i], dataset, err);
        }
    }
    return locate_folder(name_or_dir, dataset, err);
}

/* ---- Loading ---- */

/* Reads one split's image and label files and checks that their counts agree. */
static int load_split(const char *images_path, const char *labels_path, prism_split *split,
                      prism_error *err)
{
    if (prism_idx_read_images(images_path, &split->pixels, &split->count, err) != 0) {
        return -1;
    }

    size_t label_count = 0;
    if (prism_idx_read_labels(labels_path, &split->labels, &label_count, err) != 0) {
        return -1;
    }

    if (label_count != split->count) {
        return prism_error_set(err, "%s: label count: expected %zu (the number of images in "
                               "%s), found %zu", labels_path, split->count, images_path,
                               label_count);
    }
    return 0;
}

/* Training reads the images in a new random order every epoch, each read a jump somewhere into
 * the packed set (28 MB for MNIST). With 4 KB pages nearly every jump also misses the
 * address-translation cache, and the prefetches that hide memory latency are less effective;
 * in 2 MB pages the whole set needs 14 translations. Asks for large pages before the first
 * write, so the kernel can fault them in directly (MADV_HUGEPAGE; advice only: where it
 * cannot, the pages stay small and nothing else changes). */
static uint8_t *alloc_large_pages(size_t bytes)
{
    enum { LARGE_PAGE_BYTES = 2 << 20 };
    size_t rounded = (bytes / LARGE_PAGE_BYTES + 1) * LARGE_PAGE_BYTES;
    uint8_t *p = aligned_alloc(LARGE_PAGE_BYTES, rounded);
    if (p != NULL) {
        (void)madvise(p, rounded, MADV_HUGEPAGE);
    }
    return p;
}

enum { TILE_SIDE = PRISM_PIXEL_TILE_SIDE, TILES_PER_ROW = PRISM_IMAGE_COLS / TILE_SIDE };

/* Where tile g's first pixel lies in the image (its top-left corner, row * 28 + column). */
static size_t tile_corner(size_t g)
{
    return TILE_SIDE * (g / TILES_PER_ROW) * PRISM_IMAGE_COLS + TILE_SIDE * (g % TILES_PER_ROW);
}

void prism_pixel_tile_order(uint16_t order[PRISM_IMAGE_PIXELS])
{
    for (size_t g = 0; g < PRISM_IMAGE_PIXELS / PRISM_PIXEL_GROUP; g++) {
        for (size_t l = 0; l < PRISM_PIXEL_GROUP; l++) {
            size_t pixel = tile_corner(g) + l / TILE_SIDE * PRISM_IMAGE_COLS + l % TILE_SIDE;
            order[g * PRISM_PIXEL_GROUP + l] = (uint16_t)pixel;
        }
    }
}

/* Tile g of an image in the tile order: its rows, 4 bytes each, one after another. */
static void read_tile(const uint8_t *image, size_t g, uint8_t out[PRISM_PIXEL_GROUP])
{
    const uint8_t *corner = image + tile_corner(g);
    for (size_t row = 0; row < TILE_SIDE; row++) {
        memcpy(out + row * TILE_SIDE, corner + row * PRISM_IMAGE_COLS, TILE_SIDE);
    }
}

/* Bit g set when tile g holds a pixel that is not 0. */
static uint64_t tile_mask(const uint8_t *image)
{
    uint64_t mask = 0;
    for (size_t g = 0; g < PRISM_IMAGE_PIXELS / PRISM_PIXEL_GROUP; g++) {
        uint64_t halves[2];
        read_tile(image, g, (uint8_t *)halves);
        mask |= (uint64_t)((halves[0] | halves[1]) != 0) << g;
    }
    return mask;
}

int prism_split_pack(prism_split *split, prism_error *err)
{
    enum { GROUPS = PRISM_IMAGE_PIXELS / PRISM_PIXEL_GROUP };
    static_assert(PRISM_IMAGE_ROWS % PRISM_PIXEL_TILE_SIDE == 0
                      && PRISM_IMAGE_COLS % PRISM_PIXEL_TILE_SIDE == 0
                      && PRISM_PIXEL_TILE_SIDE * PRISM_PIXEL_TILE_SIDE == PRISM_PIXEL_GROUP
                      && (int)GROUPS <= (int)PRISM_PIXEL_GROUPS_MAX,
                  "the image is whole tiles, and its tiles fit one 64-bit mask");
    prism_split_free_packed(split);
    size_t count = split->count > 0 ? split->count : 1;
    split->group_masks = malloc(count * sizeof *split->group_masks);
    split->first_group = malloc(count * sizeof *split->first_group);
    split->group_pixels = malloc(PRISM_IMAGE_PIXELS * sizeof *split->group_pixels);
    if (split->group_masks == NULL || split->first_group == NULL
        || split->group_pixels == NULL) {
        prism_split_free_packed(split);
        return prism_error_set(err, "out of memory for the pixel groups of %zu images", count);
    }
    prism_pixel_tile_order(split->group_pixels);

    size_t total = 0;
    for (size_t i = 0; i < split->count; i++) {
        uint64_t mask = tile_mask(split->pixels + i * PRISM_IMAGE_PIXELS);
        split->group_masks[i] = mask;
        split->first_group[i] = (uint32_t)total;
        total += (size_t)__builtin_popcountll(mask);
    }

    split->packed = alloc_large_pages(total * PRISM_PIXEL_GROUP);
    if (split->packed == NULL) {
        prism_split_free_packed(split);
        return prism_error_set(err, "out of memory for %zu packed pixel groups", total);
    }
    split->packed_groups = total;
    for (size_t i = 0; i < split->count; i++) {
        const uint8_t *image = split->pixels + i * PRISM_IMAGE_PIXELS;
        uint8_t *out = split->packed + (size_t)split->first_group[i] * PRISM_PIXEL_GROUP;
        for (uint64_t left = split->group_masks[i]; left != 0; left &= left - 1) {
            read_tile(image, (size_t)__builtin_ctzll(left), out);
            out += PRISM_PIXEL_GROUP;
        }
    }
    return 0;
}

void prism_split_free_packed(prism_split *split)
{
    free(split->group_masks);
    free(split->first_group);
    free(split->packed);
    free(split->group_pixels);
    split->group_pixels = NULL;
    split->packed_groups = 0;
    split->group_masks = NULL;
    split->first_group = NULL;
    split->packed = NULL;
}

int prism_dataset_load(const char *name_or_dir, prism_dataset *dataset, prism_error *err)
{
    if (prism_dataset_locate(name_or_dir, dataset, err) != 0) {
        return -1;
    }

    char(*paths)[PATH_MAX] = dataset->file_paths;
    if (load_split(paths[0], paths[1], &dataset->train, err) != 0
        || load_split(paths[2], paths[3], &dataset->test, err) != 0) {
        prism_dataset_free(dataset);
        return -1;
    }
    if (prism_split_pack(&dataset->train, err) != 0) {
        prism_dataset_free(dataset);
        return -1;
    }

    for (int i = 0; i < PRISM_DATASET_FILES; i++) {
        if (prism_file_sha256(paths[i], dataset->file_sha256[i], err) != 0) {
            prism_dataset_free(dataset);
            return -1;
        }
    }
    return 0;
}

void prism_dataset_free(prism_dataset *dataset)
{
    if (dataset == NULL) {
        return;
    }
    prism_split *splits[] = {&dataset->train, &dataset->test};
    for (size_t i = 0; i < 2; i++) {
        free(splits[i]->pixels);
        free(splits[i]->labels);
        prism_split_free_packed(splits[i]);
        splits[i]->pixels = NULL;
        splits[i]->labels = NULL;
        splits[i]->count = 0;
    }
}

/* ---- Checksums ---- */

/* Feeds a whole file through an initialised digest. */
static int digest_file(FILE *file, const char *path, EVP_MD_CTX *ctx, prism_error *err)
{
    unsigned char *chunk = malloc(SHA256_CHUNK_BYTES);
    if (chunk == NULL) {
        return prism_error_set(err, "%s: out of memory for the SHA-256 buffer", path);
    }

    while (true) {
        size_t got = fread(chunk, 1, SHA256_CHUNK_BYTES, file);
        if (got > 0 && EVP_DigestUpdate(ctx, chunk, got) != 1) {
            free(chunk);
            return prism_error_set(err, "%s: SHA-256 update failed in OpenSSL", path);
        }
        if (got < SHA256_CHUNK_BYTES) {
            break;
        }
    }

    int failed = ferror(file);
    int saved_errno = errno;
    free(chunk);
    if (failed) {
        return prism_error_set(err, "%s: read error while hashing: %s", path,
                               strerror(saved_errno));
    }
    return 0;
}

int prism_file_sha256(const char *path, char hex[65], prism_error *err)
{
    hex[0] = '\0';
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return prism_error_set(err, "%s: cannot open for SHA-256: %s", path, strerror(errno));
    }

    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        fclose(file);
        return prism_error_set(err, "%s: cannot start SHA-256 in OpenSSL", path);
    }

    int status = digest_file(file, path, ctx, err);
    fclose(file);

    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digest_bytes = 0;
    if (status == 0 && (EVP_DigestFinal_ex(ctx, digest, &digest_bytes) != 1
                        || digest_bytes != 32)) {
        status = prism_error_set(err, "%s: SHA-256 finalisation failed in OpenSSL", path);
    }
    EVP_MD_CTX_free(ctx);
    if (status != 0) {
        return -1;
    }

    for (unsigned i = 0; i < 32; i++) {
        snprintf(hex + 2 * i, 3, "%02x", digest[i]);
    }
    return 0;
}

/* ---- Pixel normalisation ---- */

float prism_pixel_normalise(uint8_t pixel)
{
    /* ToTensor divides the float32 pixel by 255; Normalize then subtracts the float32 mean and
     * divides by the float32 std. Each step rounds to float32, exactly as written here. */
    float x = (float)pixel / 255.0f;
    return (x - 0.5f) / 0.5f;
}

void prism_pixels_normalise(const uint8_t *pixels, size_t n, float *out)
{
    /* Built per call: 256 divisions are nothing next to a batch, and the library keeps no
     * mutable global state. */
    float table[256];
    for (int p = 0; p < 256; p++) {
        table[p] = prism_pixel_normalise((uint8_t)p);
    }

    for (size_t i = 0; i < n; i++) {
        out[i] = table[pixels[i]];
    }
}

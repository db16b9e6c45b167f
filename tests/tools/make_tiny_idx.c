/* Writes a tiny MNIST-shaped dataset for the CLI tests, so that they need neither MNIST nor
 * Python: the four raw IDX files under their standard names in one folder.
 *
 *   usage: prism_make_tiny_idx DIR [TRAIN_COUNT TEST_COUNT]     (defaults 600 and 200)
 *
 * Image of class c: rows 4 + 2c and 5 + 2c are bright (180..255), every other pixel is faint
 * noise (0..39), so a tiny network learns it in an epoch or two. Labels and noise come from a
 * fixed LCG: the files are the same byte for byte on every run and machine. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

enum {
    ROWS = 28,
    COLS = 28,
    CLASSES = 10,
    FIRST_BAND_ROW = 4,
    MAX_COUNT = 100000,
};

/* Knuth's MMIX LCG; the top bits are the well-mixed ones. */
static uint32_t lcg_next(uint64_t *state)
{
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(*state >> 33);
}

static void put_be32(FILE *file, uint32_t value)
{
    uint8_t bytes[4] = {(uint8_t)(value >> 24), (uint8_t)(value >> 16), (uint8_t)(value >> 8),
                        (uint8_t)value};
    fwrite(bytes, 1, sizeof bytes, file);
}

/* Closes the file and reports whether every write to it succeeded. */
static int finish_file(FILE *file, const char *path)
{
    int failed = ferror(file);
    if (fclose(file) != 0 || failed) {
        fprintf(stderr, "make_tiny_idx: %s: write failed: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Writes one split: DIR/<prefix>-images-idx3-ubyte and DIR/<prefix>-labels-idx1-ubyte. */
static int write_split(const char *dir, const char *prefix, uint32_t count, uint64_t seed)
{
    char image_path[4096];
    char label_path[4096];
    snprintf(image_path, sizeof image_path, "%s/%s-images-idx3-ubyte", dir, prefix);
    snprintf(label_path, sizeof label_path, "%s/%s-labels-idx1-ubyte", dir, prefix);

    FILE *images = fopen(image_path, "wb");
    if (images == NULL) {
        fprintf(stderr, "make_tiny_idx: %s: cannot create: %s\n", image_path, strerror(errno));
        return -1;
    }
    FILE *labels = fopen(label_path, "wb");
    if (labels == NULL) {
        fprintf(stderr, "make_tiny_idx: %s: cannot create: %s\n", label_path, strerror(errno));
        fclose(images);
        return -1;
    }

    put_be32(images, 0x00000803);
    put_be32(images, count);
    put_be32(images, ROWS);
    put_be32(images, COLS);
    put_be32(labels, 0x00000801);
    put_be32(labels, count);

    uint64_t state = seed;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t label = (uint8_t)(lcg_next(&state) % CLASSES);
        uint8_t image[ROWS * COLS];
        for (int r = 0; r < ROWS; r++) {
            int bright = r == FIRST_BAND_ROW + 2 * label || r == FIRST_BAND_ROW + 2 * label + 1;
            for (int c = 0; c < COLS; c++) {
                uint32_t noise = lcg_next(&state);
                image[r * COLS + c] = (uint8_t)(bright ? 180 + noise % 76 : noise % 40);
            }
        }
        fwrite(image, 1, sizeof image, images);
        fputc(label, labels);
    }

    int status = finish_file(images, image_path);
    return finish_file(labels, label_path) != 0 ? -1 : status;
}

/* A count argument: a whole number in 1..MAX_COUNT, nothing else. */
static int parse_count(const char *text, uint32_t *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long value = strtoul(text, &end, 10);
    if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || value < 1 ||
        value > MAX_COUNT) {
        fprintf(stderr, "make_tiny_idx: count: expected a whole number in 1..%d, found '%s'\n",
                MAX_COUNT, text);
        return -1;
    }
    *out = (uint32_t)value;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 4) {
        fprintf(stderr, "usage: %s DIR [TRAIN_COUNT TEST_COUNT]\n", argv[0]);
        return 2;
    }
    uint32_t train_count = 600;
    uint32_t test_count = 200;
    if (argc == 4 && (parse_count(argv[2], &train_count) != 0 ||
                      parse_count(argv[3], &test_count) != 0)) {
        return 2;
    }

    const char *dir = argv[1];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "make_tiny_idx: %s: cannot create folder: %s\n", dir, strerror(errno));
        return 1;
    }
    /* Different seeds so that the test split is not a copy of the training split's start. */
    if (write_split(dir, "train", train_count, 0x747261696eULL) != 0 ||
        write_split(dir, "t10k", test_count, 0x74657374ULL) != 0) {
        return 1;
    }
    return 0;
}

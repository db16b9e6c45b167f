/* Measures this machine's FP32 fused multiply-add throughput, the ceiling that bench.py holds
 * prism's achieved GFLOP/s against.
 *
 * Each thread runs a loop of independent FMAs on registers only (no memory traffic): enough
 * independent accumulators that the FMA latency (4 cycles on recent x86) is hidden behind the
 * two FMA pipes a core may have. One FMA on a vector of L floats counts as 2 * L FLOP.
 *
 * Built by bench.py with `cc -O2 -mavx512f -mfma -pthread` (zmm and ymm) or
 * `cc -O2 -mavx2 -mfma -pthread` (ymm only). Prints one line per measurement:
 *
 *   peak isa=zmm threads=2 gflops=123.4 seconds=0.50
 *
 * usage: peak [seconds per measurement (0.5)] [max threads (all processors)]
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* Independent accumulators per loop: 2 pipes x 4 cycles latency = 8 needed; 12 leaves slack and
 * still fits the 16 ymm registers of AVX2 with the two multiplicands. */
enum { ACCUMULATORS = 12, INNER_ITERATIONS = 1 << 16 };

/* Twelve FMAs c_i += a * b on independent registers, for the operand names used below. */
#define FMA_TIMES_12                                                                              \
    "vfmadd231ps %[a], %[b], %[c0]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c1]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c2]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c3]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c4]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c5]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c6]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c7]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c8]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c9]\n\t"                                                           \
    "vfmadd231ps %[a], %[b], %[c10]\n\t"                                                          \
    "vfmadd231ps %[a], %[b], %[c11]\n\t"

typedef struct worker {
    int wide;                   /* 1: zmm (16 floats), 0: ymm (8 floats) */
    double seconds;             /* how long to keep running */
    pthread_barrier_t *start;   /* all threads begin together */
    double flop;                /* out: FLOP executed */
    float sink;                 /* out: keeps the results alive */
} worker;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Runs INNER_ITERATIONS x ACCUMULATORS ymm FMAs; returns a value depending on all of them. */
static float fma_block_ymm(float seed)
{
    __m256 a = _mm256_set1_ps(0.999999f);
    __m256 b = _mm256_set1_ps(1e-7f);
    __m256 c0 = _mm256_set1_ps(seed), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    __m256 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    for (int i = 0; i < INNER_ITERATIONS; i++) {
        /* asm, so the compiler can neither merge the equal-looking chains nor drop them */
        __asm__ volatile(FMA_TIMES_12
                         : [c0] "+x"(c0), [c1] "+x"(c1), [c2] "+x"(c2),
                           [c3] "+x"(c3), [c4] "+x"(c4), [c5] "+x"(c5),
                           [c6] "+x"(c6), [c7] "+x"(c7), [c8] "+x"(c8),
                           [c9] "+x"(c9), [c10] "+x"(c10), [c11] "+x"(c11)
                         : [a] "x"(a), [b] "x"(b));
    }
    __m256 s = _mm256_add_ps(_mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)),
                             _mm256_add_ps(_mm256_add_ps(c4, c5), _mm256_add_ps(c6, c7)));
    s = _mm256_add_ps(s, _mm256_add_ps(_mm256_add_ps(c8, c9), _mm256_add_ps(c10, c11)));
    float lanes[8];
    _mm256_storeu_ps(lanes, s);
    return lanes[0] + lanes[7];
}

#ifdef __AVX512F__
/* Runs INNER_ITERATIONS x ACCUMULATORS zmm FMAs; returns a value depending on all of them. */
static float fma_block_zmm(float seed)
{
    __m512 a = _mm512_set1_ps(0.999999f);
    __m512 b = _mm512_set1_ps(1e-7f);
    __m512 c0 = _mm512_set1_ps(seed), c1 = c0, c2 = c0, c3 = c0, c4 = c0, c5 = c0;
    __m512 c6 = c0, c7 = c0, c8 = c0, c9 = c0, c10 = c0, c11 = c0;
    for (int i = 0; i < INNER_ITERATIONS; i++) {
        /* asm, so the compiler can neither merge the equal-looking chains nor drop them */
        __asm__ volatile(FMA_TIMES_12
                         : [c0] "+v"(c0), [c1] "+v"(c1), [c2] "+v"(c2),
                           [c3] "+v"(c3), [c4] "+v"(c4), [c5] "+v"(c5),
                           [c6] "+v"(c6), [c7] "+v"(c7), [c8] "+v"(c8),
                           [c9] "+v"(c9), [c10] "+v"(c10), [c11] "+v"(c11)
                         : [a] "v"(a), [b] "v"(b));
    }
    __m512 s = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                             _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    s = _mm512_add_ps(s, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    return _mm512_reduce_add_ps(s);
}
#endif

/* Thread body: waits for the others, then runs blocks until its time is up. */
static void *worker_run(void *arg)
{
    worker *w = arg;
    int lanes = w->wide ? 16 : 8;
    double flop_per_block = 2.0 * lanes * ACCUMULATORS * (double)INNER_ITERATIONS;
    float sink = 1.0f;

    pthread_barrier_wait(w->start);
    double end = now_s() + w->seconds;
    w->flop = 0.0;
    while (now_s() < end) {
#ifdef __AVX512F__
        if (w->wide) {
            sink += fma_block_zmm(sink * 1e-3f);
        } else {
            sink += fma_block_ymm(sink * 1e-3f);
        }
#else
        sink += fma_block_ymm(sink * 1e-3f);
#endif
        w->flop += flop_per_block;
    }
    w->sink = sink;
    return NULL;
}

/* Runs `threads` workers at once; returns their combined GFLOP/s over the wall time. */
static double measure(int wide, int threads, double seconds)
{
    pthread_t ids[256];
    worker workers[256];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads + 1);

    for (int t = 0; t < threads; t++) {
        workers[t] = (worker){.wide = wide, .seconds = seconds, .start = &start};
        if (pthread_create(&ids[t], NULL, worker_run, &workers[t]) != 0) {
            fprintf(stderr, "peak: cannot start thread %d\n", t);
            exit(1);
        }
    }
    pthread_barrier_wait(&start);
    double begun = now_s();

    double flop = 0.0;
    float sink = 0.0f;
    for (int t = 0; t < threads; t++) {
        pthread_join(ids[t], NULL);
        flop += workers[t].flop;
        sink += workers[t].sink;
    }
    double wall = now_s() - begun;
    pthread_barrier_destroy(&start);
    if (sink == 12345.0f) {
        fprintf(stderr, "peak: (unlikely value, printed so the work is kept)\n");
    }
    return flop / wall * 1e-9;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? strtod(argv[1], NULL) : 0.5;
    long processors = sysconf(_SC_NPROCESSORS_ONLN);
    int max_threads = argc > 2 ? atoi(argv[2]) : (int)processors;
    if (seconds <= 0.0 || seconds > 60.0 || max_threads < 1 || max_threads > 256) {
        fprintf(stderr, "usage: peak [seconds 0..60] [threads 1..256]\n");
        return 2;
    }

    int widths[2] = {0, 1};
#ifdef __AVX512F__
    int n_widths = 2;
#else
    int n_widths = 1;
#endif
    for (int i = 0; i < n_widths; i++) {
        const char *isa = widths[i] ? "zmm" : "ymm";
        int counts[2] = {1, max_threads};
        int n_counts = max_threads > 1 ? 2 : 1;
        for (int c = 0; c < n_counts; c++) {
            double gflops = measure(widths[i], counts[c], seconds);
            printf("peak isa=%s threads=%d gflops=%.2f seconds=%.2f\n", isa, counts[c], gflops,
                   seconds);
            fflush(stdout);
        }
    }
    return 0;
}

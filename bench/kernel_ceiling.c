/* How fast the first layer's register block can go on this core at best: the instruction mix of
 * prism's 4-row x 5-output forward block (4 input vectors and 5 weight vectors loaded, 20 fused
 * multiply-adds into 20 accumulators per step), run on data that stays in the L1 cache, with no
 * reduction, no bias and no stores. bench/peak.c measures FMAs on registers only; the gap
 * between the two is what the loads alone cost, before any cache miss.
 *
 *   cc -O3 -mavx512f bench/kernel_ceiling.c -o /tmp/kernel_ceiling && /tmp/kernel_ceiling
 *
 * (AVX-512 only.)
 *
 * Prints one line: "kernel ceiling isa=zmm threads=1 gflops=..." (best of 5 tries).
 */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

enum { ROWS = 4, OUTS = 5, SLOTS = 64, STEPS = 10 * 1000 * 1000 };

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int main(void)
{
    /* 64 slots of 9 vectors: 36 KB, inside a 48 KB L1; the slot changes every step so that the
     * loads are real loads. Small values keep every sum finite and normal. */
    static float data[SLOTS][ROWS + OUTS][16] __attribute__((aligned(64)));
    for (int s = 0; s < SLOTS; s++) {
        for (int v = 0; v < ROWS + OUTS; v++) {
            for (int l = 0; l < 16; l++) {
                data[s][v][l] = 1e-3f * (float)((s + v + l) % 7);
            }
        }
    }

    double best = 0.0;
    float sink = 0.0f;
    for (int attempt = 0; attempt < 5; attempt++) {
        __m512 acc[ROWS][OUTS];
        for (int r = 0; r < ROWS; r++) {
            for (int o = 0; o < OUTS; o++) {
                acc[r][o] = _mm512_setzero_ps();
            }
        }
        double start = now_s();
        for (long step = 0; step < STEPS; step++) {
            const float(*slot)[16] = data[step % SLOTS];
            __m512 x[ROWS];
            for (int r = 0; r < ROWS; r++) {
                x[r] = _mm512_load_ps(slot[r]);
            }
            for (int o = 0; o < OUTS; o++) {
                __m512 w = _mm512_load_ps(slot[ROWS + o]);
                for (int r = 0; r < ROWS; r++) {
                    acc[r][o] = _mm512_fmadd_ps(x[r], w, acc[r][o]);
                }
            }
        }
        double seconds = now_s() - start;

        double gflops = (double)STEPS * ROWS * OUTS * 32.0 / seconds / 1e9;
        best = gflops > best ? gflops : best;
        __m512 total = _mm512_setzero_ps();
        for (int r = 0; r < ROWS; r++) {
            for (int o = 0; o < OUTS; o++) {
                total = _mm512_add_ps(total, acc[r][o]);
            }
        }
        sink += _mm512_reduce_add_ps(total);
    }
    printf("kernel ceiling isa=zmm threads=1 gflops=%.1f (checksum %g)\n", best, (double)sink);
    return 0;
}

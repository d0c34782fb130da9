// Per-core arithmetic peaks for `npm run bench`: float32 FMA and int8 VNNI (vpdpbusd) multiply-adds per second
// on one thread, with enough independent accumulators to hide the instructions' latency. Built by the bench
// with the system C compiler (cc -O3 -mavx512f -mavx512vnni; -O3 unrolls the chains into registers); prints "fp32 GMACS" and "int8 GMACS" lines.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); // CPU time: another process on the core does not count
  return t.tv_sec + t.tv_nsec * 1e-9;
}

#define CHAINS 12
#define ROUNDS 20000000L

static double fp32(void) {
  __m512 acc[CHAINS];
  const __m512 a = _mm512_set1_ps(1.0000001f), b = _mm512_set1_ps(0.9999999f);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
  const double t0 = now();
  for (long r = 0; r < ROUNDS; r++)
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  const double s = now() - t0;
  float sink = 0;
  for (int i = 0; i < CHAINS; i++) sink += _mm512_reduce_add_ps(acc[i]);
  if (sink == 42.0f) puts("");
  return (double)ROUNDS * CHAINS * 16 / s / 1e9; // 16 lanes, one multiply-add each
}

static double int8(void) {
  __m512i acc[CHAINS];
  const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
  for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_set1_epi32(i);
  const double t0 = now();
  for (long r = 0; r < ROUNDS; r++)
    for (int i = 0; i < CHAINS; i++) acc[i] = _mm512_dpbusd_epi32(acc[i], a, b);
  const double s = now() - t0;
  int sink = 0;
  for (int i = 0; i < CHAINS; i++) sink += _mm512_reduce_add_epi32(acc[i]);
  if (sink == 42) puts("");
  return (double)ROUNDS * CHAINS * 64 / s / 1e9; // 16 lanes × 4 byte products
}

int main(void) {
  printf("fp32 %.1f\n", fp32());
  printf("int8 %.1f\n", int8());
  return 0;
}

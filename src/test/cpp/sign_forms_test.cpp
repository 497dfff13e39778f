// sign_forms_test.cpp: nrpm_wq (kernels/nrpm_fused.cuh) computes w'(r) = -sign(r) |dw/dr| in two
// forms: by flipping m's sign bit (SIGN_BITS = true: the training forward everywhere, the backward
// on sm_90 and later) and by copysignf (the backward on sm_80, NRPM_BWD_SIGN_BITS). The emulator,
// and so the conformance suite, runs only the first; this checks that both give the same bits for
// every weight function on residuals around every switch point, signed zeros included.
// Built and run by NrpmSignFormsTest with g++ -DNRPM_EMU; exit status 0 when they agree.
#include "common.cuh"
#include "nrpm_fused.cuh"
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

static unsigned bits(float f) {
    unsigned u;
    std::memcpy(&u, &f, 4);
    return u;
}

template <int FN>
static int check(const NrpmConsts& k, const std::vector<float>& rs) {
    int bad = 0;
    for (float r : rs) {
        float q1 = 0, q2 = 0;
        const float w1 = nrpm_wq<FN, true, true>(k, r, q1);
        const float w2 = nrpm_wq<FN, true, false>(k, r, q2);
        if (bits(w1) != bits(w2) || bits(q1) != bits(q2)) {
            if (++bad <= 5) std::printf("FN %d r %a: w %a / %a, q %a / %a\n", FN, r, w1, w2, q1, q2);
        }
    }
    return bad;
}

int main() {
    NrpmParams p{};
    p.k = 1;
    p.eps = 1e-3f;
    p.fn = 0;
    p.gamma = 4.0f;
    p.delta = 0.5f;
    const NrpmConsts k = nrpm_consts(p);
    std::vector<float> rs = {0.0f, -0.0f, 1e-30f, -1e-30f, 1e30f, -1e30f, 1e-3f, -1e-3f};
    // around the clamps: |r| + eps = delta (Huber), 1/a - 1/gamma = eps (MCP), v = eps or 1 (HM)
    for (float a : {0.5f, 1.0f / (0.25f + 1e-3f), 0.125f, 4.0f / (1.0f + 1.0f / k.c), k.cg / (k.c + 1e-3f)}) {
        for (int d = -3; d <= 3; ++d) {
            const float r = std::nextafter(a - p.eps, d < 0 ? 0.0f : 1e9f);
            rs.push_back(r + d * 1e-7f);
            rs.push_back(-(r + d * 1e-7f));
        }
    }
    std::mt19937 gen(12345);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    for (int i = 0; i < 100000; ++i) rs.push_back(nd(gen) * std::pow(10.0f, (float)(i % 9) - 4.0f));
    const int bad = check<0>(k, rs) + check<1>(k, rs) + check<2>(k, rs) + check<3>(k, rs);
    std::printf("%zu residuals x 4 weight functions: %d disagreements\n", rs.size(), bad);
    return bad == 0 ? 0 : 1;
}

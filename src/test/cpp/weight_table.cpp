// weight_table.cpp: the GPU's weight functions (nrpm_wq of kernels/nrpm_fused.cuh, compiled for the
// host with g++ -DNRPM_EMU) at the residuals WeightFunctionTableTest gives it, so that the Java test
// can hold them against WeightFunction's float64 definition beside the CPU implementations.
// stdin: lines "fn eps gamma delta r" (floats as C99 hex or decimal); stdout: "w q" per line in hex.
#include "common.cuh"
#include "nrpm_fused.cuh"
#include <cstdio>

template <int FN>
static float wq(const NrpmConsts& k, float r, float& q) {
    return nrpm_wq<FN, true>(k, r, q);
}

int main() {
    int fn;
    float eps, gamma, delta, r;
    while (std::scanf("%d %a %a %a %a", &fn, &eps, &gamma, &delta, &r) == 5) {
        NrpmParams p{};
        p.k = 1;
        p.eps = eps;
        p.fn = fn;
        p.gamma = gamma;
        p.delta = delta;
        const NrpmConsts k = nrpm_consts(p);
        float q = 0, w;
        switch (fn) {
            case NRPM_WF_L1: w = wq<NRPM_WF_L1>(k, r, q); break;
            case NRPM_WF_HUBER: w = wq<NRPM_WF_HUBER>(k, r, q); break;
            case NRPM_WF_MCP: w = wq<NRPM_WF_MCP>(k, r, q); break;
            case NRPM_WF_HM: w = wq<NRPM_WF_HM>(k, r, q); break;
            default: std::printf("unknown code %d\n", fn); return 2;
        }
        std::printf("%a %a\n", w, q);
    }
    return 0;
}

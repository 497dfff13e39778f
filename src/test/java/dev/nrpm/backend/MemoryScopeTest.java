package dev.nrpm.backend;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.nrpm.error.NrpmException;
import dev.nrpm.ops.Ops;
import dev.nrpm.tensor.Tensor;
import dev.nrpm.testing.TestBackends;
import org.junit.jupiter.api.Test;

/** Scoped memory and the autodiff engine's bookkeeping, on the CPU (GC'd memory behaves like device memory). */
class MemoryScopeTest {

    @Test
    void closingAScopeReleasesWhatWasMadeInItAndOnlyThat() {
        Backend be = TestBackends.require("cpu");
        Tensor param = Tensor.of(be, new float[] {1, 2, 3}, 3).requiresGrad(true);
        Tensor kept;
        Tensor inside;
        try (MemoryScope scope = MemoryScope.open()) {
            inside = Ops.scale(param, 2f);
            Tensor loss = Ops.sum(Ops.mul(inside, inside));
            loss.backward();
            kept = Ops.scale(param, 3f).keep();
            assertTrue(scope.liveBuffers() > 0);
        }
        assertTrue(inside.buffer().isReleased(), "made in the scope: released");
        assertFalse(kept.buffer().isReleased(), "kept: moved out");
        assertFalse(param.buffer().isReleased(), "made outside: untouched");
        assertNotNull(param.grad(), "a parameter's gradient lives with the parameter");
        assertEquals(8f * 1, param.grad().toFloatArray()[0], 1e-6f);
        NrpmException e = assertThrows(NrpmException.class, inside::toFloatArray);
        assertTrue(e.getMessage().contains("released"), e.getMessage());
    }

    @Test
    void scopesNestAndMustCloseInOrder() {
        Backend be = TestBackends.reference();
        MemoryScope outer = MemoryScope.open();
        MemoryScope inner = MemoryScope.open();
        Tensor t = Tensor.zeros(be, 4);
        assertThrows(IllegalStateException.class, outer::close);
        t.keep();
        inner.close();
        assertFalse(t.buffer().isReleased(), "kept into the outer scope");
        outer.close();
        assertTrue(t.buffer().isReleased());
    }

    @Test
    void backwardFreesTheGraphAndIntermediateGradients() {
        Backend be = TestBackends.reference();
        Tensor x = Tensor.of(be, new float[] {1, -2, 3}, 3).requiresGrad(true);
        Tensor h = Ops.relu(x);
        Tensor kept = Ops.scale(h, 2f).retainGrad();
        Tensor loss = Ops.sum(kept);
        loss.backward();
        assertNull(h.grad(), "intermediate gradients are released after use");
        assertNotNull(kept.grad(), "unless retained");
        assertEquals(2f, x.grad().toFloatArray()[0]);
        assertEquals(0f, x.grad().toFloatArray()[1]);
        assertThrows(NrpmException.class, loss::backward, "the graph is freed after backward");
        assertThrows(NrpmException.class, () -> Ops.relu(x).backward(), "non-scalar needs a seed");
        assertThrows(NrpmException.class, () -> Tensor.zeros(be, 1).backward(), "nothing to differentiate");
    }

    @Test
    void gradientsAccumulateAcrossUsesAndBackwardCalls() {
        Backend be = TestBackends.reference();
        Tensor x = Tensor.of(be, new float[] {1.5f}, 1).requiresGrad(true);
        Ops.sum(Ops.add(Ops.mul(x, x), x)).backward();   // d/dx (x^2 + x) = 2x + 1
        assertEquals(4f, x.grad().item(), 1e-6f);
        Ops.sum(Ops.scale(x, 3f)).backward();
        assertEquals(7f, x.grad().item(), 1e-6f);
        x.zeroGrad();
        assertEquals(0f, x.grad().item());
    }
}

package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BatchLoaderTest {
    /** n images of (channels, h, w) where every pixel of image i is distinct and identifies it. */
    private static ImageDataset numbered(int n, int channels, int h, int w) {
        byte[] pixels = new byte[n * channels * h * w];
        for (int k = 0; k < pixels.length; k++) {
            pixels[k] = (byte) (1 + k % 251);   // never 0: padding zeros stay recognisable
        }
        byte[] labels = new byte[n];
        for (int i = 0; i < n; i++) {
            labels[i] = (byte) (i % 10);
        }
        return new ImageDataset("numbered", channels, h, w, 10, pixels, labels);
    }

    private static List<Batch> collect(Iterable<Batch> batches) {
        List<Batch> out = new ArrayList<>();
        batches.forEach(out::add);
        return out;
    }

    @Test
    void evaluationServesEverySampleInOrderWithASmallerLastBatch() {
        ImageDataset d = numbered(23, 1, 4, 4);
        BatchLoader loader = BatchLoader.evaluation(d, 10);
        List<Batch> batches = collect(loader.epoch(0));
        assertEquals(3, loader.batchesPerEpoch());
        assertEquals(List.of(10, 10, 3), batches.stream().map(Batch::size).toList());
        Batch last = batches.get(2);
        assertArrayEquals(new int[]{3, 1, 4, 4}, last.shape());
        assertEquals(3 * 16, last.images().length);
        assertArrayEquals(new int[]{20, 21, 22}, last.indices());
        assertArrayEquals(new int[]{0, 1, 2}, last.labels());
        assertArrayEquals(new float[]{0, 1, 2}, last.labelsAsFloats());
        assertArrayEquals(d.images(20, 3), last.images());
        assertEquals(2, last.number());
        assertFalse(loader.augments());
        assertFalse(loader.shuffles());
    }

    @Test
    void dropLastDropsOnlyAnIncompleteBatch() {
        ImageDataset d = numbered(23, 1, 2, 2);
        BatchLoader loader = BatchLoader.builder(d, 10).dropLast(true).build();
        assertEquals(2, loader.batchesPerEpoch());
        assertEquals(20, loader.samplesPerEpoch());
        assertEquals(2, collect(loader.epoch(0)).size());
        assertEquals(2, BatchLoader.builder(numbered(20, 1, 2, 2), 10).dropLast(true).build().batchesPerEpoch());
        assertEquals(0, BatchLoader.builder(numbered(5, 1, 2, 2), 10).dropLast(true).build().batchesPerEpoch());
    }

    @Test
    void shuffleIsAPermutationFixedBySeedAndEpoch() {
        ImageDataset d = numbered(100, 1, 2, 2);
        BatchLoader a = BatchLoader.builder(d, 16).shuffle(7).build();
        BatchLoader b = BatchLoader.builder(d, 16).shuffle(7).build();
        int[] order = a.order(3);
        assertArrayEquals(order, b.order(3), "same seed and epoch, same order");
        int[] sorted = order.clone();
        Arrays.sort(sorted);
        int[] identity = new int[100];
        Arrays.setAll(identity, i -> i);
        assertArrayEquals(identity, sorted, "every sample exactly once");
        assertFalse(Arrays.equals(identity, order), "actually shuffled");
        assertFalse(Arrays.equals(order, a.order(4)), "epochs differ");
        assertFalse(Arrays.equals(order, BatchLoader.builder(d, 16).shuffle(8).build().order(3)), "seeds differ");
        // the batches follow the order, their images and labels match their indices
        int at = 0;
        for (Batch batch : a.epoch(3)) {
            for (int k = 0; k < batch.size(); k++, at++) {
                int i = order[at];
                assertEquals(i, batch.indices()[k]);
                assertEquals(d.label(i), batch.labels()[k]);
                assertArrayEquals(d.image(i), Arrays.copyOfRange(batch.images(), k * 4, k * 4 + 4));
            }
        }
        assertEquals(100, at);
        assertEquals(7, a.seed());
    }

    @Test
    void resumingMidEpochGivesTheSameBatches() {
        BatchLoader loader = BatchLoader.builder(numbered(50, 3, 4, 4), 8).shuffle(11).augment(RandomCropFlip.CIFAR).build();
        List<Batch> full = collect(loader.epoch(2));
        List<Batch> resumed = collect(BatchLoader.builder(numbered(50, 3, 4, 4), 8).shuffle(11).augment(RandomCropFlip.CIFAR)
                .build().epoch(2, 4));
        assertEquals(full.size() - 4, resumed.size());
        for (int k = 0; k < resumed.size(); k++) {
            assertEquals(full.get(k + 4).number(), resumed.get(k).number());
            assertArrayEquals(full.get(k + 4).indices(), resumed.get(k).indices());
            assertArrayEquals(full.get(k + 4).images(), resumed.get(k).images());
        }
        assertArrayEquals(full.get(5).images(), loader.batch(2, 5).images());
        assertThrows(InvalidSettingException.class, () -> loader.epoch(0, 8));
        assertThrows(InvalidSettingException.class, () -> loader.order(-1));
    }

    @Test
    void augmentationIsDeterministicPerSeedEpochAndSample() {
        ImageDataset d = numbered(64, 3, 8, 8);
        BatchLoader loader = BatchLoader.builder(d, 64).seed(5).augment(RandomCropFlip.CIFAR).build();
        float[] e0 = loader.batch(0, 0).images();
        assertArrayEquals(e0, loader.batch(0, 0).images());
        assertFalse(Arrays.equals(e0, loader.batch(1, 0).images()), "another epoch, other crops");
        // the choice of a sample does not depend on the batch it lands in
        BatchLoader shuffled = BatchLoader.builder(d, 7).shuffle(5).augment(RandomCropFlip.CIFAR).build();
        Batch b = shuffled.batch(0, 3);
        for (int k = 0; k < b.size(); k++) {
            int i = b.indices()[k];
            assertArrayEquals(Arrays.copyOfRange(e0, i * 192, (i + 1) * 192), Arrays.copyOfRange(b.images(), k * 192, (k + 1) * 192));
        }
    }

    /** Reference: out(c, y, x) = in(c, y - dy, x' - dx) with x' = flip ? w - 1 - x : x, zero outside. */
    private static float[] reference(ImageDataset d, int i, RandomCropFlip.Choice ch) {
        int c = d.channels();
        int h = d.height();
        int w = d.width();
        float[] src = d.image(i);
        float[] out = new float[c * h * w];
        for (int p = 0; p < c; p++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int xs = (ch.flip() ? w - 1 - x : x) - ch.dx();
                    int ys = y - ch.dy();
                    out[(p * h + y) * w + x] = ys < 0 || ys >= h || xs < 0 || xs >= w ? 0.0f : src[(p * h + ys) * w + xs];
                }
            }
        }
        return out;
    }

    @Test
    void cropFlipMatchesTheReferenceForEveryShiftAndFlip() {
        ImageDataset d = numbered(3, 3, 6, 5);
        float[] got = new float[3 * 6 * 5];
        for (int dy = -4; dy <= 4; dy++) {
            for (int dx = -4; dx <= 4; dx++) {
                for (boolean flip : new boolean[]{false, true}) {
                    RandomCropFlip.Choice ch = new RandomCropFlip.Choice(dy, dx, flip);
                    RandomCropFlip.apply(d, 1, ch, got, 0);
                    assertArrayEquals(reference(d, 1, ch), got, ch.toString());
                }
            }
        }
    }

    @Test
    void choicesCoverThePaddingAndFlipAboutHalf() {
        RandomCropFlip aug = RandomCropFlip.CIFAR;
        int flips = 0;
        int[] dyCounts = new int[9];
        int[] dxCounts = new int[9];
        int n = 9000;
        for (int i = 0; i < n; i++) {
            RandomCropFlip.Choice c = aug.choose(1, 0, i);
            flips += c.flip() ? 1 : 0;
            dyCounts[c.dy() + 4]++;
            dxCounts[c.dx() + 4]++;
        }
        assertTrue(Math.abs(flips - n / 2) < 300, "flips " + flips + " of " + n);   // about 6 sigma
        for (int k = 0; k < 9; k++) {
            assertTrue(Math.abs(dyCounts[k] - n / 9) < 250, "dy " + (k - 4) + ": " + dyCounts[k]);
            assertTrue(Math.abs(dxCounts[k] - n / 9) < 250, "dx " + (k - 4) + ": " + dxCounts[k]);
        }
        assertEquals(aug.choose(1, 0, 17), aug.choose(1, 0, 17));
        assertNotEquals(List.of(aug.choose(1, 0, 17), aug.choose(1, 0, 18), aug.choose(1, 0, 19)),
                List.of(aug.choose(2, 0, 17), aug.choose(2, 0, 18), aug.choose(2, 0, 19)));
        RandomCropFlip shiftOnly = new RandomCropFlip(2, 0.0);
        for (int i = 0; i < 200; i++) {
            RandomCropFlip.Choice c = shiftOnly.choose(3, 1, i);
            assertFalse(c.flip());
            assertTrue(Math.abs(c.dx()) <= 2 && Math.abs(c.dy()) <= 2);
        }
    }

    @Test
    void invalidSettingsAreRejected() {
        ImageDataset d = numbered(3, 1, 2, 2);
        assertThrows(InvalidSettingException.class, () -> BatchLoader.builder(d, 0));
        assertThrows(InvalidSettingException.class, () -> new RandomCropFlip(-1, 0.5));
        assertThrows(InvalidSettingException.class, () -> new RandomCropFlip(4, 1.5));
        assertThrows(InvalidSettingException.class, () -> new RandomCropFlip(4, Double.NaN));
    }
}

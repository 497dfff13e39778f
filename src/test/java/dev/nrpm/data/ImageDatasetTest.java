package dev.nrpm.data;

import dev.nrpm.error.InvalidSettingException;
import dev.nrpm.error.ShapeException;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDatasetTest {
    /** 6 images of (2, 2, 3): pixel value = 12 * i + offset within the image, label = i % 3. */
    private static ImageDataset tiny() {
        byte[] pixels = new byte[6 * 12];
        for (int k = 0; k < pixels.length; k++) {
            pixels[k] = (byte) (k * 3);
        }
        byte[] labels = {0, 1, 2, 0, 1, 2};
        return new ImageDataset("tiny", 2, 2, 3, 3, pixels, labels);
    }

    @Test
    void pixelsBecomeFloatsInUnitRangeWithoutNormalisation() {
        ImageDataset d = tiny();
        float[] image = d.image(5);   // (2, 2, 3)
        assertEquals(12, image.length);
        for (int k = 0; k < 12; k++) {
            assertEquals(((60 + k) * 3 & 0xFF) / 255.0f, image[k], 0.0f);
        }
        assertEquals((61 * 3) & 0xFF, d.pixel(5, 0, 0, 1));
        assertEquals((60 + 6 + 3 + 2) * 3 & 0xFF, d.pixel(5, 1, 1, 2));   // (c, y, x) = (1, 1, 2)
        byte[] extremes = {0, (byte) 255};
        ImageDataset e = new ImageDataset("e", 1, 1, 2, 10, extremes, new byte[]{9});
        assertArrayEquals(new float[]{0.0f, 1.0f}, e.image(0));
    }

    @Test
    void sliceIsAViewWithItsOwnIndexing() {
        ImageDataset d = tiny();
        ImageDataset half = d.slice(3, 3);
        assertEquals("tiny[3:6]", half.name());
        assertEquals(3, half.size());
        assertArrayEquals(d.image(4), half.image(1));
        assertArrayEquals(new int[]{0, 1, 2}, half.labels());
        assertArrayEquals(d.images(3, 3), half.images(0, 3));
        assertArrayEquals(new int[]{1, 1, 1}, half.classCounts());
        ImageDataset inner = half.slice(1, 1);
        assertArrayEquals(d.image(4), inner.image(0));
        assertEquals(0, d.slice(6, 0).size());
        assertThrows(IndexOutOfBoundsException.class, () -> half.image(3));
        assertThrows(IndexOutOfBoundsException.class, () -> half.label(-1));
    }

    @Test
    void sliceBeyondTheEndIsAnErrorNotAShorterSlice() {
        ImageDataset d = tiny();
        InvalidSettingException e = assertThrows(InvalidSettingException.class, () -> d.slice(4, 3));
        assertTrue(e.getMessage().startsWith("tiny: slice offset 4 limit 3"), e.getMessage());
        assertThrows(InvalidSettingException.class, () -> d.slice(-1, 2));
        assertThrows(InvalidSettingException.class, () -> d.slice(0, -1));
    }

    @Test
    void statisticsCoverOnlyTheView() {
        byte[] pixels = {0, 0, (byte) 255, (byte) 255};
        ImageDataset d = new ImageDataset("s", 1, 1, 2, 10, pixels, new byte[]{3, 3});
        assertEquals(0.5, d.meanPixel(), 1e-12);
        assertEquals(0.0, d.slice(0, 1).meanPixel(), 0.0);
        assertEquals(1.0, d.slice(1, 1).meanPixel(), 0.0);
        assertEquals(2, d.classCounts()[3]);
    }

    @Test
    void inconsistentArraysAreRejected() {
        assertThrows(ShapeException.class, () -> new ImageDataset("x", 1, 2, 2, 10, new byte[7], new byte[2]));
        assertThrows(ShapeException.class, () -> new ImageDataset("x", 0, 2, 2, 10, new byte[0], new byte[0]));
        InvalidSettingException e = assertThrows(InvalidSettingException.class,
                () -> new ImageDataset("x", 1, 1, 1, 3, new byte[2], new byte[]{2, 3}));
        assertEquals("x: label 3 at index 1 outside [0, 2]", e.getMessage());
    }

    @Test
    void copyImageRespectsTheDestinationBounds() {
        ImageDataset d = tiny();
        float[] dst = new float[30];
        d.copyImage(1, dst, 18);
        assertEquals(d.image(1)[11], dst[29], 0.0f);
        assertThrows(IndexOutOfBoundsException.class, () -> d.copyImage(1, dst, 19));
    }
}

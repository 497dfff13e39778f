package dev.nrpm.io;

import dev.nrpm.tensor.Shape;
import dev.nrpm.tensor.Tensor;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * A tensor read from (or bound for) a checkpoint, in host memory: dtype, shape and the values as
 * contiguous row-major little-endian bytes, exactly as safetensors stores them. Keeping the bytes
 * (rather than converting to float at once) means float64, int64 and 16-bit floats survive a
 * read-write round trip bit for bit; the typed views below convert on demand.
 *
 * <p>Immutable: the accessors return copies.
 */
public final class HostTensor implements TensorData {
    private final DType dtype;
    private final int[] shape;
    private final int size;
    private final byte[] data;           // (size * dtype.byteSize()) little-endian

    private HostTensor(DType dtype, int[] shape, byte[] data) {
        this.dtype = dtype;
        this.shape = shape.clone();
        this.size = checkedSize(shape);
        if ((long) size * dtype.byteSize() != data.length) {
            throw new IllegalArgumentException(data.length + " bytes do not hold " + size + " " + dtype
                    + " values of shape " + Shape.str(shape));
        }
        this.data = data;
    }

    // ------------------------------------------------------------------ construction

    /** Takes ownership of the bytes, without a copy: the readers hand over freshly read buffers. */
    public static HostTensor wrap(DType dtype, int[] shape, byte[] littleEndian) {
        return new HostTensor(dtype, shape, littleEndian);
    }

    /** A tensor of the given dtype from a copy of its little-endian bytes. */
    public static HostTensor fromLittleEndian(DType dtype, int[] shape, byte[] littleEndian) {
        return new HostTensor(dtype, shape, littleEndian.clone());
    }

    public static HostTensor ofFloats(float[] values, int... shape) {
        checkCount(values.length, shape);
        ByteBuffer b = buffer(values.length * 4);
        for (float v : values) {
            b.putFloat(v);
        }
        return new HostTensor(DType.FLOAT32, shape, b.array());
    }

    public static HostTensor ofDoubles(double[] values, int... shape) {
        checkCount(values.length, shape);
        ByteBuffer b = buffer(values.length * 8);
        for (double v : values) {
            b.putDouble(v);
        }
        return new HostTensor(DType.FLOAT64, shape, b.array());
    }

    public static HostTensor ofLongs(long[] values, int... shape) {
        checkCount(values.length, shape);
        ByteBuffer b = buffer(values.length * 8);
        for (long v : values) {
            b.putLong(v);
        }
        return new HostTensor(DType.INT64, shape, b.array());
    }

    /** Values rounded to a floating dtype (float64, float32, float16 or bfloat16). */
    public static HostTensor ofDoubles(DType floatingType, double[] values, int... shape) {
        if (!floatingType.isFloatingPoint()) {
            throw new IllegalArgumentException("ofDoubles needs a floating dtype, got " + floatingType);
        }
        if (floatingType == DType.FLOAT64) {
            return ofDoubles(values, shape);
        }
        checkCount(values.length, shape);
        ByteBuffer b = buffer(values.length * floatingType.byteSize());
        for (double v : values) {
            switch (floatingType) {
                case FLOAT32:
                    b.putFloat((float) v);
                    break;
                case FLOAT16:
                    b.putShort(HalfFloats.floatToHalf((float) v));
                    break;
                default:
                    b.putShort(HalfFloats.floatToBfloat16((float) v));
                    break;
            }
        }
        return new HostTensor(floatingType, shape, b.array());
    }

    /** A host copy of an engine tensor in a floating dtype (float64 keeps the reference backend exact). */
    public static HostTensor of(Tensor t, DType floatingType) {
        return ofDoubles(floatingType, t.toDoubleArray(), t.shape());
    }

    // ------------------------------------------------------------------ shape and values

    @Override
    public DType dtype() {
        return dtype;
    }

    @Override
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** Number of elements. */
    public int size() {
        return size;
    }

    public String shapeString() {
        return Shape.str(shape);
    }

    public boolean isFloatingPoint() {
        return dtype.isFloatingPoint();
    }

    /** The values as floats, whatever the dtype (a convenience view: float64 and large int64 round). */
    public float[] toFloatArray() {
        float[] out = new float[size];
        ByteBuffer b = view();
        for (int i = 0; i < size; i++) {
            out[i] = (float) read(b, i);
        }
        return out;
    }

    /** The values as doubles: exact for every floating dtype and for integers up to 2^53. */
    public double[] toDoubleArray() {
        double[] out = new double[size];
        ByteBuffer b = view();
        for (int i = 0; i < size; i++) {
            out[i] = read(b, i);
        }
        return out;
    }

    /**
     * The values of an integer or bool tensor as longs (bool: 0 or 1, uint8: 0..255).
     *
     * @throws IllegalStateException for floating dtypes, where this would silently truncate
     */
    public long[] toLongArray() {
        if (dtype.isFloatingPoint()) {
            throw new IllegalStateException("toLongArray() on a " + dtype + " tensor; use toDoubleArray()");
        }
        long[] out = new long[size];
        ByteBuffer b = view();
        for (int i = 0; i < size; i++) {
            out[i] = readLong(b, i);
        }
        return out;
    }

    /** The single value of a one-element tensor (any shape with one element, including []). */
    public double item() {
        if (size != 1) {
            throw new IllegalStateException("item() needs one element, shape is " + shapeString());
        }
        return read(view(), 0);
    }

    /** Read-only little-endian view of the raw bytes. */
    public ByteBuffer littleEndianBytes() {
        return view().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    @Override
    public long byteSize() {
        return data.length;
    }

    @Override
    public void writeTo(OutputStream out) throws IOException {
        out.write(data);
    }

    private ByteBuffer view() {
        return ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    }

    private double read(ByteBuffer b, int i) {
        switch (dtype) {
            case FLOAT64:
                return b.getDouble(i * 8);
            case FLOAT32:
                return b.getFloat(i * 4);
            case FLOAT16:
                return HalfFloats.halfToFloat(b.getShort(i * 2));
            case BFLOAT16:
                return HalfFloats.bfloat16ToFloat(b.getShort(i * 2));
            default:
                return readLong(b, i);
        }
    }

    private long readLong(ByteBuffer b, int i) {
        switch (dtype) {
            case INT64:
                return b.getLong(i * 8);
            case INT32:
                return b.getInt(i * 4);
            case INT16:
                return b.getShort(i * 2);
            case INT8:
                return b.get(i);
            case UINT8:
                return b.get(i) & 0xff;
            case BOOL:
                return b.get(i) != 0 ? 1 : 0;
            default:
                throw new IllegalStateException("not an integer dtype: " + dtype);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static ByteBuffer buffer(int bytes) {
        return ByteBuffer.allocate(bytes).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static void checkCount(int count, int[] shape) {
        if (count != checkedSize(shape)) {
            throw new IllegalArgumentException(count + " values do not fill shape " + Shape.str(shape));
        }
    }

    /** Element count, which must fit a Java array. */
    public static int checkedSize(int[] shape) {
        long n = Shape.size(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("shape " + Shape.str(shape) + " has " + n
                    + " elements, more than a Java array holds");
        }
        return (int) n;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof HostTensor)) {
            return false;
        }
        HostTensor t = (HostTensor) o;
        return dtype == t.dtype && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * dtype.hashCode() + Arrays.hashCode(shape)) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "HostTensor(" + dtype + " " + shapeString() + ")";
    }
}

package dev.nrpm.io;

/**
 * Element types a checkpoint may hold, with their names in the three vocabularies we meet:
 * safetensors codes ("F32"), torch dtypes ("float32", pickled as the global torch.float32) and
 * torch's legacy storage classes ("FloatStorage", which fix the dtype of a storage).
 */
public enum DType {
    FLOAT64("F64", "float64", "DoubleStorage", 8, true),
    FLOAT32("F32", "float32", "FloatStorage", 4, true),
    FLOAT16("F16", "float16", "HalfStorage", 2, true),
    BFLOAT16("BF16", "bfloat16", "BFloat16Storage", 2, true),
    INT64("I64", "int64", "LongStorage", 8, false),
    INT32("I32", "int32", "IntStorage", 4, false),
    INT16("I16", "int16", "ShortStorage", 2, false),
    INT8("I8", "int8", "CharStorage", 1, false),
    UINT8("U8", "uint8", "ByteStorage", 1, false),
    BOOL("BOOL", "bool", "BoolStorage", 1, false);

    private final String safetensorsCode;
    private final String torchName;
    private final String storageClass;
    private final int byteSize;
    private final boolean floating;

    DType(String safetensorsCode, String torchName, String storageClass, int byteSize, boolean floating) {
        this.safetensorsCode = safetensorsCode;
        this.torchName = torchName;
        this.storageClass = storageClass;
        this.byteSize = byteSize;
        this.floating = floating;
    }

    /** The dtype string of the safetensors header ("F32", "I64", ...). */
    public String safetensorsCode() {
        return safetensorsCode;
    }

    /** The torch dtype name without the "torch." prefix ("float32", "int64", ...). */
    public String torchName() {
        return torchName;
    }

    /** The legacy storage class in module torch ("FloatStorage", ...). */
    public String storageClass() {
        return storageClass;
    }

    public int byteSize() {
        return byteSize;
    }

    public boolean isFloatingPoint() {
        return floating;
    }

    /** The dtype of a safetensors code, or null when we do not support it. */
    public static DType fromSafetensors(String code) {
        for (DType d : values()) {
            if (d.safetensorsCode.equals(code)) {
                return d;
            }
        }
        return null;
    }

    /** The dtype of a torch dtype name or alias ("float32", "float", "long", ...), or null. */
    public static DType fromTorchName(String name) {
        switch (name) {
            case "float":
                return FLOAT32;
            case "double":
                return FLOAT64;
            case "half":
                return FLOAT16;
            case "long":
                return INT64;
            case "int":
                return INT32;
            case "short":
                return INT16;
            default:
                for (DType d : values()) {
                    if (d.torchName.equals(name)) {
                        return d;
                    }
                }
                return null;
        }
    }

    /** The dtype of a legacy storage class name ("FloatStorage"), or null. */
    public static DType fromStorageClass(String name) {
        for (DType d : values()) {
            if (d.storageClass.equals(name)) {
                return d;
            }
        }
        return null;
    }

    /** The torch name ("float32"): what messages show. */
    @Override
    public String toString() {
        return torchName;
    }
}

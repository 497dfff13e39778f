package dev.nrpm.backend.cuda;

import dev.nrpm.backend.Buffer;
import java.util.Arrays;
import java.util.function.Function;

/**
 * A device table of buffer addresses for the multi-tensor kernels (sgd_multi, zero_multi): entry
 * t holds the addresses of up to three buffers and a length, as four 64-bit words, written by
 * address_table_set. Device addresses are not visible from Java, hence a kernel to write them;
 * and since an optimizer passes the same buffers at every step, the table is rebuilt only when
 * the buffers or lengths differ from the last call's.
 */
final class AddressTable {
    private final Device device;
    private DevicePointer table;
    private Buffer[] key;
    private long[] keyLengths;

    AddressTable(Device device) {
        this.device = device;
    }

    /**
     * The table for columns[0..2][t] (a column may be null: address 0) and lengths[t]; launches the
     * entries it has to write through writer. columns are not kept.
     */
    DevicePointer of(Buffer[][] columns, long[] lengths, Function<Buffer, DevicePointer> address, EntryWriter writer) {
        int count = lengths.length;
        Buffer[] k = new Buffer[3 * count];
        for (int t = 0; t < count; t++) {
            for (int c = 0; c < 3; c++) {
                k[3 * t + c] = c < columns.length ? columns[c][t] : null;
            }
        }
        if (table == null || !Arrays.equals(k, key) || !Arrays.equals(lengths, keyLengths)) {
            if (table != null) {
                device.free(table);
            }
            table = device.alloc(32L * Math.max(count, 1));
            for (int t = 0; t < count; t++) {
                writer.write(table, t, address.apply(k[3 * t]), address.apply(k[3 * t + 1]),
                        address.apply(k[3 * t + 2]), lengths[t]);
            }
            key = k;
            keyLengths = lengths.clone();
        }
        return table;
    }

    /** Writes entry t (address_table_set). */
    interface EntryWriter {
        void write(DevicePointer table, int t, DevicePointer a, DevicePointer b, DevicePointer c, long n);
    }
}

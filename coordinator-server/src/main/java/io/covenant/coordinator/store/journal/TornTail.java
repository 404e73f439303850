package io.covenant.coordinator.store.journal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.StandardOpenOption;
import java.util.Optional;
import org.apache.activemq.artemis.core.journal.impl.JournalFile;
import org.apache.activemq.artemis.core.journal.impl.JournalImpl;

/**
 * Finds a record that a crash left half-written at the end of the journal.
 *
 * <p>Artemis checks each record's size at both ends and skips one that does not match, silently.
 * After a load it appends to the current file right after the last complete record, so a torn
 * record, if any, starts exactly there: a record type and the current file's id (every record
 * carries it, which is also how Artemis tells its records from leftovers of an earlier use of a
 * reused file). Such a record was never reported durable, so no acknowledged change is lost with it,
 * but an operator should know that a write was cut off.
 */
final class TornTail {
  /** Record type (1 byte) and file id (4 bytes): the first bytes of every Artemis record. */
  private static final int RECORD_START = 5;

  private TornTail() {}

  /**
   * Where a record was started but not completed after the last complete record of
   * {@code current}, the file a freshly loaded journal appends to.
   *
   * @return the offset of the torn record in the file, or empty if the file ends cleanly
   */
  static Optional<Long> find(JournalFile current) throws IOException {
    long end = current.getFile().position();
    try (FileChannel channel = FileChannel.open(current.getFile().getJavaFile().toPath(), StandardOpenOption.READ)) {
      ByteBuffer start = ByteBuffer.allocate(RECORD_START); // big-endian, as Artemis writes
      while (start.hasRemaining()) {
        if (channel.read(start, end + start.position()) < 0) {
          return Optional.empty(); // the file ends here
        }
      }
      start.flip();
      byte type = start.get();
      int fileId = start.getInt();
      boolean recordType = type >= JournalImpl.EVENT_RECORD && type <= JournalImpl.ROLLBACK_RECORD;
      return recordType && fileId == current.getRecordID() ? Optional.of(end) : Optional.empty();
    }
  }
}

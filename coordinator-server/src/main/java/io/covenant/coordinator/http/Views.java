package io.covenant.coordinator.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;
import io.covenant.coordinator.core.Branch;
import io.covenant.coordinator.core.GlobalTx;
import io.covenant.protocol.BranchView;
import io.covenant.protocol.GlobalStatus;
import io.covenant.protocol.Mode;
import io.covenant.protocol.TransactionSummary;
import io.covenant.protocol.TransactionView;
import java.util.ArrayList;
import java.util.List;

/** Maps the core's transactions to the API's views. Pure; thread-safe. */
final class Views {
  private Views() {}

  /**
   * The view of {@code tx}: {@code deadline} only while it is active, {@code stuck} by the given
   * threshold, and saga-only fields ({@code dependsOn}, {@code pivot}, {@code result}) only for sagas.
   */
  static TransactionView of(GlobalTx tx, int stuckAfterAttempts) {
    List<BranchView> branches = new ArrayList<>(tx.branches().size());
    boolean saga = tx.mode() == Mode.SAGA;
    for (Branch b : tx.branches()) {
      branches.add(new BranchView(
          b.id(), b.status(), b.forwardUrl(), b.backwardUrl(), payload(b.payload()),
          saga ? b.dependsOn() : null,
          saga ? b.pivot() : null,
          b.attempts(), b.lastError(), b.nextAttemptAt(), b.resolution(), saga ? payload(b.result()) : null));
    }
    return new TransactionView(
        tx.gid(), tx.mode(), tx.status(), tx.createdAt(), tx.updatedAt(),
        tx.status() == GlobalStatus.ACTIVE ? tx.deadline() : null,
        tx.reason(), tx.isStuck(stuckAfterAttempts), branches);
  }

  /** {@code tx} in brief, for a request that prefers {@code return=minimal}: nothing is serialised or parsed. */
  static TransactionSummary summary(GlobalTx tx) {
    return new TransactionSummary(tx.gid(), tx.status());
  }

  /** A stored payload (JSON text) as JSON again; text that no longer parses is shown as a string. */
  static JsonNode payload(String text) {
    if (text == null) {
      return null;
    }
    try {
      return Json.mapper().readTree(text);
    } catch (JsonProcessingException e) {
      return TextNode.valueOf(text);
    }
  }
}

package io.covenant.protocol;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * {@code POST /v1/sagas}: submits a whole saga for the coordinator to run.
 *
 * @param gid optional; when given, submitting the same saga again is idempotent
 * @param name optional; the name of the saga's definition (for example {@code order}), checked like
 *     a step name and otherwise only for people: the coordinator does not keep it
 * @param timeoutMillis optional; a saga still running forward after this time is compensated
 * @param recovery {@code compensate} (default) or {@code forward}
 * @param steps at least one step
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SagaRequest(String gid, String name, Long timeoutMillis, SagaRecovery recovery, List<SagaStep> steps) {

  /** A saga without a definition name. */
  public SagaRequest(String gid, Long timeoutMillis, SagaRecovery recovery, List<SagaStep> steps) {
    this(gid, null, timeoutMillis, recovery, steps);
  }
}

/**
 * The branch barrier: {@link io.covenant.client.barrier.Barrier} records each (gid, branch, op) in a
 * table of the participant's own database, in the same local transaction as the business change, so
 * that repeated calls are skipped, a cancel without a try does nothing, and a try after its cancel is
 * refused. Plain JDBC over a {@link javax.sql.DataSource}; PostgreSQL and MySQL/MariaDB
 * ({@link io.covenant.client.barrier.SqlDialect}), with the DDL shipped as
 * {@code io/covenant/client/barrier/postgres.sql} and {@code mysql.sql}.
 */
package io.covenant.client.barrier;

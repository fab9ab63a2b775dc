//! Checked conversions between Rust values and what the SQL columns hold.
//!
//! Both backends store integers as signed 64-bit and have no unsigned type, so a `u64` above
//! `i64::MAX` is refused rather than bit-cast: a bit-cast value would read back as negative in
//! any SQL tool and break ordering in queries.

use super::StoreError;

/// A `u64` as the `i64` a column holds; `what` names the value in the error.
pub(super) fn to_sql_u64(value: u64, what: impl FnOnce() -> String) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::TooLarge { what: what(), value })
}

/// An `i64` column back to the `u64` it was written from.
pub(super) fn from_sql_u64(value: i64, table: &'static str, column: &'static str) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt { table, column, why: format!("{value} is negative") })
}

/// A blob column back to a 32-byte hash.
pub(super) fn hash_from_sql(bytes: Vec<u8>, table: &'static str, column: &'static str) -> Result<[u8; 32], StoreError> {
    let len = bytes.len();
    <[u8; 32]>::try_from(bytes).map_err(|_| StoreError::Corrupt { table, column, why: format!("a hash of {len} bytes, not 32") })
}

/// Reads one column, calling a decode failure corruption: with the typed API and the schema's
/// constraints, a value of the wrong type can only come from outside the keeper.
pub(super) fn column<'r, T>(row: &'r sqlx::any::AnyRow, table: &'static str, column: &'static str) -> Result<T, StoreError>
where
    T: sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    row.try_get::<T, _>(column).map_err(|e| match e {
        sqlx::Error::ColumnDecode { source, .. } => StoreError::Corrupt { table, column, why: source.to_string() },
        other => StoreError::Query { what: format!("reading column {table}.{column}"), source: other },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u64_round_trips_up_to_i64_max() {
        for v in [0, 1, i64::MAX as u64] {
            let sql = to_sql_u64(v, || "v".into()).expect("fits");
            assert_eq!(from_sql_u64(sql, "t", "c").expect("non-negative"), v);
        }
    }

    #[test]
    fn u64_above_i64_max_is_refused() {
        let err = to_sql_u64(i64::MAX as u64 + 1, || "block number".into()).expect_err("too large");
        assert!(matches!(err, StoreError::TooLarge { value, .. } if value == i64::MAX as u64 + 1));
    }

    #[test]
    fn negative_and_short_values_are_corrupt() {
        assert!(matches!(from_sql_u64(-1, "t", "c"), Err(StoreError::Corrupt { .. })));
        assert!(matches!(hash_from_sql(vec![0; 31], "t", "c"), Err(StoreError::Corrupt { .. })));
        assert_eq!(hash_from_sql(vec![7; 32], "t", "c").expect("32 bytes"), [7; 32]);
    }
}

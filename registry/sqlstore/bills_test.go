package sqlstore_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eppd/eppd/registry/sqlstore"
	"github.com/eppd/eppd/registry/sqlstore/sqltest"
)

// TestBillingLock: on PostgreSQL one holder at a time, across stores (as
// across processes); on SQLite always granted.
func TestBillingLock(t *testing.T) {
	ctx := context.Background()
	t.Run("postgres", func(t *testing.T) {
		dsn := sqltest.Postgres(t)
		a, err := sqlstore.Open(ctx, dsn)
		require.NoError(t, err)
		defer a.Close()
		b, err := sqlstore.Open(ctx, dsn)
		require.NoError(t, err)
		defer b.Close()
		release, ok, err := a.TryBillingLock(ctx)
		require.NoError(t, err)
		require.True(t, ok)
		_, ok, err = b.TryBillingLock(ctx)
		require.NoError(t, err)
		assert.False(t, ok, "held by the other store")
		release()
		release2, ok, err := b.TryBillingLock(ctx)
		require.NoError(t, err)
		assert.True(t, ok, "free once released")
		release2()
	})
	t.Run("sqlite", func(t *testing.T) {
		s := sqltest.OpenSQLite(t)
		release, ok, err := s.TryBillingLock(ctx)
		require.NoError(t, err)
		assert.True(t, ok)
		release()
	})
}

package billing

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMoneyString(t *testing.T) {
	for _, c := range []struct {
		m    Money
		want string
	}{
		{SEK(2500), "SEK 25.00"},
		{SEK(2550), "SEK 25.50"},
		{SEK(5), "SEK 0.05"},
		{SEK(0), "SEK 0.00"},
		{SEK(-2505), "SEK -25.05"},
		{SEK(-5), "SEK -0.05"},
		{Money{Minor: 123456789, Currency: "DKK"}, "DKK 1234567.89"},
		{SEK(math.MaxInt64), "SEK 92233720368547758.07"},
		{SEK(math.MinInt64), "SEK -92233720368547758.08"},
	} {
		assert.Equal(t, c.want, c.m.String())
	}
	assert.Equal(t, "-0.50", SEK(-50).Decimal())
}

func TestParseMoney(t *testing.T) {
	for _, c := range []struct {
		in, currency string
		want         Money
	}{
		{"25", "", SEK(2500)},
		{"25.50", "", SEK(2550)},
		{"25.5", "", SEK(2550)},
		{"25,50", "", SEK(2550)},
		{"0.05", "", SEK(5)},
		{"  100  ", "", SEK(10000)},
		{"-100", "", SEK(-10000)},
		{"-0.5", "", SEK(-50)},
		{"+7", "", SEK(700)},
		{"SEK 25.50", "", SEK(2550)},
		{"sek 25.50", "DKK", SEK(2550)},
		{"25.50 SEK", "", SEK(2550)},
		{"SEK -25", "", SEK(-2500)},
		{"75", "DKK", Money{7500, "DKK"}},
		{"EUR 1.99", "DKK", Money{199, "EUR"}},
		{"007", "", SEK(700)},
		{"1000000000000", "", SEK(100000000000000)},
	} {
		got, err := ParseMoney(c.in, c.currency)
		if assert.NoError(t, err, c.in) {
			assert.Equal(t, c.want, got, c.in)
		}
		// What String writes, ParseMoney reads back.
		back, err := ParseMoney(got.String(), "")
		require.NoError(t, err)
		assert.Equal(t, got, back)
	}
	for _, in := range []string{
		"", " ", "abc", "25.505", "25.", ".5", "1,000.00", "1 000", "SEK", "SEK 25 kr",
		"S3K 25", "SEKR 25", "25e3", "--5", "- 5", "0x10", "25.5.0", "NaN", "Inf",
		"1000000000001", "99999999999999999999",
	} {
		_, err := ParseMoney(in, "")
		assert.Error(t, err, "%q", in)
	}
}

func TestMoneyArithmetic(t *testing.T) {
	s, err := SEK(100).Add(SEK(-250))
	require.NoError(t, err)
	assert.Equal(t, SEK(-150), s)
	_, err = SEK(100).Add(Money{100, "DKK"})
	assert.ErrorContains(t, err, "different currencies")
	_, err = SEK(math.MaxInt64).Add(SEK(1))
	assert.ErrorIs(t, err, errOverflow)
	_, err = SEK(math.MinInt64).Add(SEK(-1))
	assert.ErrorIs(t, err, errOverflow)

	p, err := SEK(10000).Times(3)
	require.NoError(t, err)
	assert.Equal(t, SEK(30000), p)
	p, err = SEK(10000).Times(0)
	require.NoError(t, err)
	assert.Equal(t, SEK(0), p)
	_, err = SEK(math.MaxInt64 / 2).Times(3)
	assert.ErrorIs(t, err, errOverflow)
	_, err = SEK(math.MinInt64).Times(-1)
	assert.ErrorIs(t, err, errOverflow)

	assert.Equal(t, SEK(-5), SEK(5).Neg())
	assert.True(t, Money{Currency: "EUR"}.IsZero())
	assert.True(t, ValidCurrency("SEK"))
	for _, c := range []string{"", "sek", "SE", "SEKR", "S1K"} {
		assert.False(t, ValidCurrency(c), c)
	}
}

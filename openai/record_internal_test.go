package openai

import "testing"

func TestRoundCostDropsFloatNoise(t *testing.T) {
	t.Parallel()
	for in, want := range map[float64]float64{
		0.000007049999999999999: 0.00000705,
		0.1 + 0.2:               0.3,
		0:                       0,
		12.5:                    12.5,
	} {
		if got := roundCost(in); got != want {
			t.Errorf("roundCost(%v) = %v, want %v", in, got, want)
		}
	}
}

package local

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/pipelinekit/terraform-provider-codepipeline/internal/pipeline"
)

// benchDefinition is a large pipeline: 50 stages of 10 actions.
func benchDefinition() *pipeline.Pipeline {
	p := shellPipeline("bench", "QUEUED")
	for s := 0; s < 50; s++ {
		st := pipeline.Stage{Name: fmt.Sprintf("Stage%02d", s)}
		for a := 0; a < 10; a++ {
			st.Actions = append(st.Actions, shell(fmt.Sprintf("Action%02d", a), a%3+1, "echo hello", "true"))
		}
		p.Stages = append(p.Stages, st)
	}
	return p
}

// BenchmarkStoredDefinition reads a stored definition of 500 actions as it is stored now
// (CodePipeline's JSON through internal/codepipelinejson) and, as the baseline in the same
// run, as schema 6 and 7 stored it (the domain model by Go field names).
func BenchmarkStoredDefinition(b *testing.B) {
	p := benchDefinition()
	current, err := encodeDefinition(p)
	if err != nil {
		b.Fatal(err)
	}
	legacy, err := json.Marshal(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("record-read", func(b *testing.B) {
		b.SetBytes(int64(len(current)))
		for i := 0; i < b.N; i++ {
			if _, err := decodeDefinition(current); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gofields-read-baseline", func(b *testing.B) {
		b.SetBytes(int64(len(legacy)))
		for i := 0; i < b.N; i++ {
			var out pipeline.Pipeline
			if err := json.Unmarshal(legacy, &out); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("record-write", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := encodeDefinition(p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("gofields-write-baseline", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			if _, err := json.Marshal(p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

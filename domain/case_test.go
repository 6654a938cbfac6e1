package domain

import (
	"slices"
	"testing"
)

func TestCaseSteps(t *testing.T) {
	proc := Procedure{Steps: []Step{{Office: "PM"}, {Office: "ASL"}}}
	statuses := func(c *Case) []string {
		var out []string
		for _, s := range c.Steps {
			out = append(out, s.Status)
		}
		return out
	}
	t.Run("Parallel", func(t *testing.T) {
		c := &Case{Office: "SUAP", Steps: initialSteps(proc)}
		if got := c.ActiveOffices(); !slices.Equal(got, []string{"SUAP", "PM", "ASL"}) {
			t.Errorf("active offices %v", got)
		}
		if err := c.completeStep(1, false); err != nil || !slices.Equal(statuses(c), []string{StepActive, StepDone}) || c.stepsDone() {
			t.Errorf("after the second: %v, %v", statuses(c), err)
		}
	})
	t.Run("InOrder", func(t *testing.T) {
		proc.StepsInOrder = true
		c := &Case{Office: "SUAP", Steps: initialSteps(proc)}
		if got := c.ActiveOffices(); !slices.Equal(got, []string{"SUAP", "PM"}) {
			t.Errorf("active offices %v", got)
		}
		if err := c.completeStep(1, true); !IsCode(err, ECConflict) {
			t.Errorf("completing a waiting step: %v", err)
		}
		if err := c.completeStep(0, true); err != nil || !slices.Equal(statuses(c), []string{StepDone, StepActive}) {
			t.Errorf("after the first: %v, %v", statuses(c), err)
		}
		if err := c.completeStep(1, true); err != nil || !c.stepsDone() || !slices.Equal(c.ActiveOffices(), []string{"SUAP"}) {
			t.Errorf("after both: %v, %v", statuses(c), err)
		}
	})
}

func TestCaseDeadlinePause(t *testing.T) {
	c := &Case{Status: CaseInProgress, DueDate: "2026-03-10"}
	if n := c.RemainingDays("2026-02-25"); n != 13 {
		t.Errorf("across February: %d days", n)
	}
	c.pause("2026-03-01")
	if n := c.RemainingDays("2026-03-31"); n != 9 || c.Overdue("2026-03-31") {
		t.Errorf("paused: %d days, overdue %v", n, c.Overdue("2026-03-31"))
	}
	c.resume("2026-03-31")
	if c.DueDate != "2026-04-09" || c.RemainingDays("2026-03-31") != 9 {
		t.Errorf("resumed: due %s", c.DueDate)
	}
	if !c.Overdue("2026-04-10") || c.RemainingDays("2026-04-10") != -1 {
		t.Errorf("overdue the day after")
	}
}

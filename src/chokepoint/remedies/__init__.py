"""Remedies: how a cutoff unfolds over time (timeline) and what it takes to withstand it (plan)."""

from .plan import PlanResult, load_costs, plan, plan_availability, planned_capacity, write_plan
from .timeline import TimelineResult, closed_form, simulate, timeline

__all__ = ["TimelineResult", "closed_form", "simulate", "timeline",
           "PlanResult", "load_costs", "plan", "plan_availability", "planned_capacity", "write_plan"]

"""The tracking form (跟踪表): 实施期满一年/两年 目标完成情况, the second form of the family."""

triggers = []

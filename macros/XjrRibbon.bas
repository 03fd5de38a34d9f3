Attribute VB_Name = "XjrRibbon"
' Little Giant (xjr-excel) ribbon callbacks.
'
' Thin on purpose: each button hands over to one function of the Python module
' xjr_excel.ribbon through xlwings' RunPython. All user-visible text comes from
' Python (messages, results sheet) or from the ribbon XML (labels, tips); the
' few texts shown when Python itself cannot start are read from the hidden
' xlwings.conf sheet, where the Python template builder wrote them.
' Python starts on the first click and stays running for the next ones
' ("Use UDF Server" in xlwings.conf); xlwings' KillPy ends it (it starts again
' on the next click). This file is ASCII only.
Option Explicit

Private Const CONF_SHEET As String = "xlwings.conf"
Private Const RESULTS_SHEET_KEY As String = "XJR_RESULTS_SHEET"

' ---- ribbon callbacks (onAction) ----------------------------------------

Public Sub XjrValidate(control As Object)
    XjrRun "validate()"
End Sub

Public Sub XjrClear(control As Object)
    XjrRun "clear()"
End Sub

Public Sub XjrConsolidate(control As Object)
    ' Excel's own file dialog; the chosen paths and the answers go to Python as arguments.
    Dim picked As Variant, i As Long, arg As String, opts As String
    picked = Application.GetOpenFilename("Excel (*.xlsx;*.xlsm;*.xls),*.xlsx;*.xlsm;*.xls", , _
                                         XjrText("XJR_PICK_TITLE"), , True)
    If Not IsArray(picked) Then Exit Sub
    opts = ConsolidateOptions()
    If Len(opts) = 0 Then Exit Sub
    For i = LBound(picked) To UBound(picked)
        If Len(arg) > 0 Then arg = arg & ","
        arg = arg & PyString(CStr(picked(i)))
    Next i
    XjrRun "consolidate(paths=[" & arg & "]" & opts & ")"
End Sub

Public Sub XjrForms(control As Object)
    ' Excel's folder dialog; the forms are written there by Python.
    Dim folder As String
    With Application.FileDialog(4)     ' msoFileDialogFolderPicker
        .Title = XjrText("XJR_PICK_FOLDER")
        If .Show <> -1 Then Exit Sub
        folder = .SelectedItems(1)
    End With
    XjrRun "forms(folder=" & PyString(folder) & ")"
End Sub

Public Sub XjrCollect(control As Object)
    ' Excel's own file dialog; the returned forms are read from disk by Python.
    Dim picked As Variant, i As Long, arg As String
    picked = Application.GetOpenFilename("Excel (*.xlsx;*.xlsm;*.xls;*.ods),*.xlsx;*.xlsm;*.xls;*.ods", , _
                                         XjrText("XJR_PICK_FORMS"), , True)
    If Not IsArray(picked) Then Exit Sub
    For i = LBound(picked) To UBound(picked)
        If Len(arg) > 0 Then arg = arg & ","
        arg = arg & PyString(CStr(picked(i)))
    Next i
    XjrRun "collect(paths=[" & arg & "])"
End Sub

Public Sub XjrOpenResults(control As Object)
    Dim name As String
    name = XjrText(RESULTS_SHEET_KEY)
    On Error GoTo missing
    ThisWorkbook.Worksheets(name).Activate
    Exit Sub
missing:
    MsgBox XjrText("XJR_NO_RESULTS"), vbInformation, XjrText("XJR_TITLE")
End Sub

Public Sub XjrHelp(control As Object)
    MsgBox XjrText("XJR_HELP"), vbInformation, XjrText("XJR_TITLE")
End Sub

' ---- helpers --------------------------------------------------------------

Private Sub XjrRun(pyCall As String)
    ' One call both starts Python and runs the button: an error raised here means
    ' Python could not be started; Python itself says when xjr_excel is missing.
    On Error GoTo noPython
    RunPython PyCommand(pyCall)
    Exit Sub
noPython:
    MsgBox XjrText("XJR_NO_PYTHON"), vbExclamation, XjrText("XJR_TITLE")
End Sub

Private Function ConsolidateOptions() As String
    ' The province, the provincial department (may stay empty) and whether cities with errors
    ' go into the lists: ", province=..., department=..., strict=..." or "" when cancelled.
    Dim province As String, department As String, answer As Long
    province = InputBox(XjrText("XJR_ASK_PROVINCE"), XjrText("XJR_TITLE"), XjrText("XJR_PROVINCE_DEFAULT"))
    If Len(province) = 0 Then Exit Function
    department = InputBox(XjrText("XJR_ASK_DEPARTMENT"), XjrText("XJR_TITLE"))
    answer = MsgBox(XjrText("XJR_ASK_STRICT"), vbYesNoCancel + vbQuestion, XjrText("XJR_TITLE"))
    If answer = vbCancel Then Exit Function
    ConsolidateOptions = ", province=" & PyString(province) & ", department=" & PyString(department) & _
        ", strict=" & IIf(answer = vbNo, "True", "False")
End Function

Private Function PyCommand(pyCall As String) As String
    ' Python: run xjr_excel.ribbon.<pyCall>, or tell the user to install the package.
    PyCommand = "import importlib.util as u; __import__('xjr_excel.ribbon').ribbon." & pyCall & _
        " if u.find_spec('xjr_excel') else __import__('xlwings').Book.caller().app.alert(" & _
        PyString(XjrText("XJR_NO_PACKAGE")) & ", title=" & PyString(XjrText("XJR_TITLE")) & ", mode='critical')"
End Function

Private Function XjrText(key As String) As String
    ' Texts written by Python into the hidden config sheet: key in column D, text in E.
    Dim found As Range
    On Error GoTo fallback
    Set found = ThisWorkbook.Worksheets(CONF_SHEET).Columns(4).Find(What:=key, LookIn:=xlValues, LookAt:=xlWhole)
    If found Is Nothing Then GoTo fallback
    XjrText = CStr(found.Offset(0, 1).Value)
    Exit Function
fallback:
    XjrText = key
End Function

Private Function PyString(s As String) As String
    ' A Python string literal that survives cmd.exe: everything but letters and
    ' digits is written as a \uXXXX escape (paths with Chinese, spaces, %, &, quotes).
    Dim i As Long, c As String, code As Long, out As String
    For i = 1 To Len(s)
        c = Mid$(s, i, 1)
        code = AscW(c) And &HFFFF&
        If (c >= "A" And c <= "Z") Or (c >= "a" And c <= "z") Or (c >= "0" And c <= "9") Then
            out = out & c
        Else
            out = out & "\u" & Right$("000" & Hex$(code), 4)
        End If
    Next i
    PyString = "'" & out & "'"
End Function
